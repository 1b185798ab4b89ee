//! The cycle check of a passing co-simulation: the manifest's `cycle_formula` against
//! `cycles_per_step`, `cycle_terms` and the cycles the testbench measured.

use crate::SimError;
use qrnn_rtl::manifest::Manifest;

/// Check a passing co-simulation's cycle figures against the schedule: the manifest's
/// `cycle_formula` checks term by term ([`qrnn_rtl::manifest::check_cycle_formula`]) and sums to
/// `cycles_per_step`, its terms are the manifest's `cycle_terms`, and the testbench's PASS line in
/// `output` (`… timesteps=T … cycles=N cycles_per_step=C`, printed only after it measured every
/// timestep at `C` cycles) reports `C` equal to that sum and `N = T·C` (the input and output
/// handshakes held high), or, from a run with backpressure (the line then ends with
/// `stalls_in=I stalls_out=O`, the testbench having measured every timestep at `C` plus its
/// stalls), `N = T·C + I + O`. Returns the checked cycles per timestep.
pub fn check_cycles(man: &Manifest, output: &str) -> Result<u64, SimError> {
    let (total, terms) = qrnn_rtl::manifest::check_cycle_formula(&man.cycle_formula)
        .map_err(|e| SimError::Cycles(e.to_string()))?;
    if total != man.cycles_per_step {
        return Err(SimError::Cycles(format!(
            "cycle_formula `{}` totals {total}, cycles_per_step is {}",
            man.cycle_formula, man.cycles_per_step
        )));
    }
    let listed: Vec<(String, u64)> = man
        .cycle_terms
        .iter()
        .map(|t| (t.phase.to_string(), t.cycles))
        .collect();
    if terms != listed {
        return Err(SimError::Cycles(format!(
            "cycle_formula terms {terms:?} differ from cycle_terms {listed:?}"
        )));
    }
    let pass = output
        .lines()
        .find(|l| l.starts_with("PASS"))
        .ok_or_else(|| SimError::Cycles("no PASS line in the simulation output".into()))?;
    let value = |key: &str| -> Option<Option<u64>> {
        pass.split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .map(|v| v.parse().ok())
    };
    let field = |key: &str| -> Result<u64, SimError> {
        value(key)
            .flatten()
            .ok_or_else(|| SimError::Cycles(format!("no `{key}=` in `{pass}`")))
    };
    // stall counts: only a run with backpressure prints them
    let stalls = |key: &str| -> Result<u64, SimError> {
        match value(key) {
            None => Ok(0),
            Some(v) => v.ok_or_else(|| SimError::Cycles(format!("bad `{key}=` in `{pass}`"))),
        }
    };
    let (steps, cycles, per_step) = (
        field("timesteps")?,
        field("cycles")?,
        field("cycles_per_step")?,
    );
    let stalled = stalls("stalls_in")? + stalls("stalls_out")?;
    if per_step != total || cycles != steps * total + stalled {
        return Err(SimError::Cycles(format!(
            "measured {cycles} cycles over {steps} timesteps ({per_step} per timestep, {stalled} \
             stall cycles), the cycle_formula says {total} per timestep: `{pass}`"
        )));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::check_cycles;
    use qrnn_model::example::{example, ExampleSpec};
    use qrnn_model::{Cell, Scheme};

    #[test]
    fn check_cycles_compares_the_formula_with_the_pass_line() {
        let mut spec = ExampleSpec::new(Cell::ConvLstm, Scheme::Binary, 1, 2, 5);
        spec.map = Some((5, 7));
        let m = example(&spec);
        let g = qrnn_rtl::generate(&m, &qrnn_rtl::passes::Options::default(), |_, _| {}).unwrap();
        let c = g.manifest.cycles_per_step;
        let pass = |cycles: u64, per: u64| {
            format!(
                "x\nPASS sequences=2 timesteps=3 values=9 cycles={cycles} cycles_per_step={per}\n"
            )
        };
        assert_eq!(check_cycles(&g.manifest, &pass(3 * c, c)).unwrap(), c);
        assert!(check_cycles(&g.manifest, &pass(3 * c + 1, c)).is_err());
        assert!(check_cycles(&g.manifest, &pass(3 * (c + 1), c + 1)).is_err());
        assert!(check_cycles(&g.manifest, "FAIL cycles").is_err());
        // with backpressure: the stalls add to the cycles
        let bp = |cycles: u64, i: u64, o: u64| {
            format!(
                "PASS sequences=2 timesteps=3 values=9 cycles={cycles} cycles_per_step={c} \
                 backpressure=5 stalls_in={i} stalls_out={o}\n"
            )
        };
        assert_eq!(check_cycles(&g.manifest, &bp(3 * c + 7, 4, 3)).unwrap(), c);
        assert!(check_cycles(&g.manifest, &bp(3 * c, 4, 3)).is_err());
        assert!(check_cycles(&g.manifest, &bp(3 * c + 7, 4, 2)).is_err());
        assert!(check_cycles(&g.manifest, &bp(3 * c + 7, 4, 3).replace("=3\n", "=x\n")).is_err());
        let mut bad = g.manifest.clone();
        bad.cycle_formula = bad.cycle_formula.replace(" = 1", " = 2");
        assert!(check_cycles(&bad, &pass(3 * c, c)).is_err());
    }
}
