//! A small reader for the three pin-constraint formats, enough to check the files in
//! `crates/fpga/constraints/` (and pin files users add) against `boards.toml`:
//!
//! - **PCF** (iCE40, nextpnr-ice40): `set_io [-nowarn] [-pullup yes|no] PORT PIN` and
//!   `set_frequency PORT MHZ`, one per line, `#` comments.
//! - **LPF** (ECP5, nextpnr-ecp5): statements ending in `;`: `LOCATE COMP "PORT" SITE "PIN";`,
//!   `IOBUF PORT "PORT" KEY=VALUE…;`, `FREQUENCY PORT "PORT" N MHZ;`, `BLOCK …;`, `SYSCONFIG …;`;
//!   `#` comments.
//! - **CST** (Gowin, nextpnr-himbaechel): `IO_LOC "PORT" PIN;`, `IO_PORT "PORT" KEY=VALUE…;`;
//!   `//` comments.

use crate::device::Family;

/// What a pin file says.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PinFile {
    /// Port → package pin, in file order.
    pub locs: Vec<(String, String)>,
    /// Clock constraints: port and frequency in MHz.
    pub frequencies: Vec<(String, f64)>,
    /// Ports that have I/O attributes (LPF `IOBUF`, CST `IO_PORT`).
    pub attributed: Vec<String>,
}

impl PinFile {
    /// The pin of `port`.
    pub fn pin(&self, port: &str) -> Option<&str> {
        self.locs
            .iter()
            .find(|(p, _)| p == port)
            .map(|(_, pin)| pin.as_str())
    }
}

/// A syntax error: 1-based line and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinFileError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parse a pin file of `family`'s format, strictly (unknown statements are errors).
pub fn parse(family: Family, text: &str) -> Result<PinFile, PinFileError> {
    let pf = match family {
        Family::Ice40 => parse_pcf(text)?,
        Family::Ecp5 => parse_lpf(text)?,
        Family::Gowin => parse_cst(text)?,
    };
    for (i, (port, _)) in pf.locs.iter().enumerate() {
        if pf.locs[..i].iter().any(|(p, _)| p == port) {
            return Err(PinFileError {
                line: 0,
                message: format!("port `{port}` is placed twice"),
            });
        }
    }
    for port in pf
        .attributed
        .iter()
        .chain(pf.frequencies.iter().map(|(p, _)| p))
    {
        if pf.pin(port).is_none() {
            return Err(PinFileError {
                line: 0,
                message: format!("port `{port}` has attributes but no location"),
            });
        }
    }
    Ok(pf)
}

fn err(line: usize, message: impl Into<String>) -> PinFileError {
    PinFileError {
        line,
        message: message.into(),
    }
}

fn parse_pcf(text: &str) -> Result<PinFile, PinFileError> {
    let mut pf = PinFile::default();
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let code = raw.split('#').next().unwrap_or("");
        let toks: Vec<&str> = code.split_whitespace().collect();
        let Some((&cmd, rest)) = toks.split_first() else {
            continue;
        };
        match cmd {
            "set_io" => {
                let mut args = Vec::new();
                let mut i = 0;
                while i < rest.len() {
                    match rest[i] {
                        "-nowarn" | "--warn-no-port" => i += 1,
                        "-pullup" | "-pullup_resistor" => {
                            if i + 1 >= rest.len() {
                                return Err(err(line, format!("{} needs a value", rest[i])));
                            }
                            i += 2;
                        }
                        a if a.starts_with('-') => {
                            return Err(err(line, format!("unknown set_io option {a}")))
                        }
                        a => {
                            args.push(a);
                            i += 1;
                        }
                    }
                }
                let [port, pin] = args[..] else {
                    return Err(err(line, "set_io takes a port and a pin"));
                };
                pf.locs.push((port.to_string(), pin.to_string()));
            }
            "set_frequency" => {
                let [port, mhz] = rest[..] else {
                    return Err(err(line, "set_frequency takes a port and MHz"));
                };
                let f: f64 = mhz
                    .parse()
                    .map_err(|_| err(line, format!("`{mhz}` is not a frequency in MHz")))?;
                pf.frequencies.push((port.to_string(), f));
            }
            other => return Err(err(line, format!("unknown PCF command `{other}`"))),
        }
    }
    Ok(pf)
}

/// Split `;`-terminated statements, dropping comments (`comment` starts one), keeping the line
/// each statement starts on. Text after the last `;` must be blank.
fn statements(text: &str, comment: &str) -> Result<Vec<(usize, String)>, PinFileError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    for (n, raw) in text.lines().enumerate() {
        let code = raw.split(comment).next().unwrap_or("");
        for (k, part) in code.split(';').enumerate() {
            if k > 0 {
                out.push((start, std::mem::take(&mut cur).trim().to_string()));
            }
            if cur.trim().is_empty() && !part.trim().is_empty() {
                start = n + 1;
            }
            cur.push(' ');
            cur.push_str(part);
        }
    }
    if !cur.trim().is_empty() {
        return Err(err(start, "statement without a closing `;`"));
    }
    Ok(out.into_iter().filter(|(_, s)| !s.is_empty()).collect())
}

/// A double-quoted token: the text between the quotes.
fn quoted(tok: &str) -> Option<&str> {
    tok.strip_prefix('"')?.strip_suffix('"')
}

/// Check `KEY=VALUE` attribute tokens.
fn attrs(line: usize, toks: &[&str]) -> Result<(), PinFileError> {
    for t in toks {
        match t.split_once('=') {
            Some((k, v)) if !k.is_empty() && !v.is_empty() => {}
            _ => return Err(err(line, format!("`{t}` is not KEY=VALUE"))),
        }
    }
    Ok(())
}

fn parse_lpf(text: &str) -> Result<PinFile, PinFileError> {
    let mut pf = PinFile::default();
    for (line, st) in statements(text, "#")? {
        let toks: Vec<&str> = st.split_whitespace().collect();
        match toks[..] {
            ["LOCATE", "COMP", port, "SITE", site] => {
                let (Some(port), Some(site)) = (quoted(port), quoted(site)) else {
                    return Err(err(line, "LOCATE needs quoted port and site"));
                };
                pf.locs.push((port.to_string(), site.to_string()));
            }
            ["IOBUF", "PORT", port, ref rest @ ..] => {
                let port = quoted(port).ok_or_else(|| err(line, "IOBUF needs a quoted port"))?;
                attrs(line, rest)?;
                pf.attributed.push(port.to_string());
            }
            ["FREQUENCY", "PORT", port, mhz, unit] if unit.eq_ignore_ascii_case("MHZ") => {
                let port =
                    quoted(port).ok_or_else(|| err(line, "FREQUENCY needs a quoted port"))?;
                let f: f64 = mhz
                    .parse()
                    .map_err(|_| err(line, format!("`{mhz}` is not a frequency")))?;
                pf.frequencies.push((port.to_string(), f));
            }
            ["BLOCK", ..] | ["SYSCONFIG", ..] => {}
            _ => return Err(err(line, format!("unknown LPF statement `{st}`"))),
        }
    }
    Ok(pf)
}

fn parse_cst(text: &str) -> Result<PinFile, PinFileError> {
    let mut pf = PinFile::default();
    for (line, st) in statements(text, "//")? {
        let toks: Vec<&str> = st.split_whitespace().collect();
        match toks[..] {
            ["IO_LOC", port, pin] => {
                let port = quoted(port).ok_or_else(|| err(line, "IO_LOC needs a quoted port"))?;
                if pin.is_empty() || !pin.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(err(line, format!("`{pin}` is not a package pin")));
                }
                pf.locs.push((port.to_string(), pin.to_string()));
            }
            ["IO_PORT", port, ref rest @ ..] => {
                let port = quoted(port).ok_or_else(|| err(line, "IO_PORT needs a quoted port"))?;
                attrs(line, rest)?;
                pf.attributed.push(port.to_string());
            }
            _ => return Err(err(line, format!("unknown CST statement `{st}`"))),
        }
    }
    Ok(pf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcf() {
        let p = parse(
            Family::Ice40,
            "# c\nset_io -nowarn clk 35 # x\nset_frequency clk 12\nset_io -pullup yes a 9\n",
        )
        .unwrap();
        assert_eq!(p.pin("clk"), Some("35"));
        assert_eq!(p.pin("a"), Some("9"));
        assert_eq!(p.frequencies, vec![("clk".to_string(), 12.0)]);
        assert!(parse(Family::Ice40, "set_io clk\n").is_err());
        assert!(parse(Family::Ice40, "set_loc clk 3\n").is_err());
        assert!(parse(Family::Ice40, "set_io a 1\nset_io a 2\n").is_err());
        assert!(parse(Family::Ice40, "set_io -bogus a 1\n").is_err());
    }

    #[test]
    fn lpf() {
        let t = "# c\nLOCATE COMP \"clk\" SITE \"G2\";\nIOBUF PORT \"clk\" IO_TYPE=LVCMOS33;\n\
                 FREQUENCY PORT \"clk\" 25 MHZ;\nBLOCK RESETPATHS;\n";
        let p = parse(Family::Ecp5, t).unwrap();
        assert_eq!(p.pin("clk"), Some("G2"));
        assert_eq!(p.frequencies[0].1, 25.0);
        assert!(parse(Family::Ecp5, "LOCATE COMP clk SITE \"G2\";").is_err());
        assert!(parse(Family::Ecp5, "LOCATE COMP \"clk\" SITE \"G2\"").is_err());
        assert!(parse(Family::Ecp5, "IOBUF PORT \"x\" IO_TYPE=LVCMOS33;").is_err());
        assert!(parse(
            Family::Ecp5,
            "LOCATE COMP \"a\" SITE \"G2\";\nIOBUF PORT \"a\" FOO;"
        )
        .is_err());
    }

    #[test]
    fn cst() {
        let t = "// c\nIO_LOC \"clk\" 52;\nIO_PORT \"clk\" IO_TYPE=LVCMOS33 PULL_MODE=NONE;\n";
        let p = parse(Family::Gowin, t).unwrap();
        assert_eq!(p.pin("clk"), Some("52"));
        assert!(parse(Family::Gowin, "IO_LOC clk 52;").is_err());
        assert!(parse(Family::Gowin, "IO_LOC \"clk\" 52").is_err());
        assert!(parse(Family::Gowin, "LOCATE COMP \"clk\" SITE \"52\";").is_err());
    }
}
