//! The yosys synthesis commands of a family, written once for every flow that synthesises
//! generated Verilog (the core's `make synth`, the board tops' bitstream rules).
//!
//! On ECP5 and Gowin, yosys' `alumacc` merges each adder tree of the lanes into one `$macc`
//! cell, which these families map to LUT full adders instead of carry chains: the LSTM 4→16
//! ternary dot module took 338 LUT4 + 116 PFUMX + 84 L6MUX21 + 18 CCU2C under yosys 0.23
//! `synth_ecp5`. Turning the `$macc` cells back into two-operand adders (`maccmap -unmap`)
//! between the coarse stage and the memory mapping keeps every adder on a carry chain
//! (83 LUT4 + 48 CCU2C for the same module). iCE40 keeps `synth_ice40` as it is
//! (docs/HARDWARE.md §4.4 "Adder trees").

use crate::vocab::Family;

/// The yosys commands that synthesise `top` for `family`, with extra `synth_*` options `opts`
/// (a Make variable such as `$(SYNTH_OPTS)` may stand for them) and, with `json`, the netlist
/// written there.
pub fn yosys_synth(family: Family, opts: &str, top: &str, json: Option<&str>) -> String {
    let o = if opts.is_empty() {
        String::new()
    } else {
        format!("{opts} ")
    };
    let j = json.map(|j| format!(" -json {j}")).unwrap_or_default();
    match family {
        Family::Ice40 => format!("synth_ice40 {o}-top {top}{j}"),
        Family::Ecp5 | Family::Gowin => {
            let f = family.name();
            format!(
                "synth_{f} {o}-top {top} -run :map_ram; maccmap -unmap; synth_{f} {o}-top {top} -run map_ram:{j}"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecp5_and_gowin_unmap_the_maccs_between_coarse_and_map_ram() {
        assert_eq!(
            yosys_synth(Family::Ice40, "-dsp", "t", Some("o.json")),
            "synth_ice40 -dsp -top t -json o.json"
        );
        assert_eq!(
            yosys_synth(Family::Ecp5, "", "t", None),
            "synth_ecp5 -top t -run :map_ram; maccmap -unmap; synth_ecp5 -top t -run map_ram:"
        );
    }
}
