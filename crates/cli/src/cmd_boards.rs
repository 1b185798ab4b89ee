//! `qrnn-hw boards [--json]`: the boards of crates/fpga/constraints/boards.toml: family, device, clock,
//! the default core clock and its PLL, UART pins, LEDs, programmer.

use crate::Ctx;
use miette::{IntoDiagnostic, Result};
use qrnn_fpga::{boards, Board};
use serde_json::json;

/// Arguments of `boards`.
#[derive(clap::Args)]
pub struct Args {
    /// Print JSON (every field of boards.toml, plus the device's resources and the ports).
    #[arg(long)]
    json: bool,
}

/// Run `boards`.
pub fn run(_ctx: Ctx, a: Args) -> Result<()> {
    let bs = boards()?;
    if a.json {
        let v: Vec<serde_json::Value> = bs.iter().map(board_json).collect();
        let s = serde_json::to_string_pretty(&v).into_diagnostic()?;
        outln!("{s}");
    } else {
        out!("{}", table(&bs));
    }
    Ok(())
}

fn board_json(b: &Board) -> serde_json::Value {
    let mut v = serde_json::to_value(b).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("device_info".into(), json!(b.device_info()));
        let ports: Vec<_> = b
            .ports()
            .into_iter()
            .map(|(port, pin)| json!({"port": port, "pin": pin}))
            .collect();
        o.insert("ports".into(), json!(ports));
        o.insert(
            "bitstream".into(),
            json!(format!("build/{}", b.family.bitstream_name())),
        );
        // the default core clock (`gen` without --clock-mhz), as qrnn.json records it
        if let Ok(pll) = qrnn_fpga::pll::core_clock(b, None) {
            o.insert("core_clock".into(), json!(pll.manifest()));
        }
    }
    v
}

fn table(bs: &[Board]) -> String {
    let header = [
        "board",
        "family",
        "device",
        "clock",
        "core clock",
        "uart tx/rx",
        "leds",
        "button",
        "programmer",
    ];
    let rows: Vec<[String; 9]> = bs
        .iter()
        .map(|b| {
            [
                b.name.clone(),
                b.family.to_string(),
                if b.variants.is_empty() {
                    b.part.clone()
                } else {
                    // the other devices it ships with (`gen --board NAME --device D`)
                    let v: Vec<&str> = b.variants.iter().map(|v| v.device.as_str()).collect();
                    format!("{} (or {})", b.part, v.join("/"))
                },
                format!("{} MHz @{}", trim_mhz(b.clock_mhz()), b.clock.pin),
                qrnn_fpga::pll::core_clock(b, None)
                    .map(|p| format!("{} MHz {}", trim_mhz(p.out_mhz()), p.primitive()))
                    .unwrap_or_else(|_| "-".into()),
                format!("{}/{}", b.uart.tx, b.uart.rx),
                format!("{} (active {})", b.leds.pins.len(), b.leds.active),
                b.button
                    .as_ref()
                    .map(|x| format!("{} (active {})", x.pin, x.active))
                    .unwrap_or_else(|| "-".into()),
                b.programmer_summary(),
            ]
        })
        .collect();
    let mut w = [0usize; 9];
    for r in std::iter::once(&header.map(String::from)).chain(rows.iter()) {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |r: &[String; 9]| {
        let mut s = String::new();
        for (i, c) in r.iter().enumerate() {
            if i + 1 == r.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(w[i] - c.chars().count() + 2));
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(&header.map(String::from));
    for r in &rows {
        out.push_str(&line(r));
    }
    out.push_str(
        "(* = default programming mode; core clock: the default of `gen --board`, made by the PLL named;\n (or …): the variants `gen --board NAME --device D` selects, on the same pins;\n `qrnn-hw boards --json` has pins, PLL parameters, sources and notes)\n",
    );
    out
}

fn trim_mhz(m: f64) -> String {
    let s = format!("{m:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
