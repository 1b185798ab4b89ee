//! The cycle check of a passing co-simulation: the manifest's `cycle_formula` against
//! `cycles_per_step`, `cycle_terms` and the cycles the testbench measured.

use crate::SimError;
use qrnn_rtl::manifest::Manifest;

/// Check a passing co-simulation's cycle figures against the schedule: the manifest's
/// `cycle_formula` checks term by term ([`qrnn_rtl::manifest::check_cycle_formula`]) and sums to
/// the `latency`, its terms are the manifest's `cycle_terms`, the initiation interval
/// (`cycles_per_step`) is the one that latency gives ([`qrnn_rtl::ir::initiation_interval`]), and
/// the testbench's PASS line in `output` (`… timesteps=T … cycles=N cycles_per_step=C`, printed
/// only after it measured every timestep's latency and interval) reports `C` equal to it and
/// `N = (T − 1)·II + LATENCY` (the input and output handshakes held high), or, from a run with
/// backpressure (the line then ends with `stalls_in=I stalls_out=O`), that plus `I + O` for a
/// core that works on one timestep at a time, and between the two for one that overlaps them
/// (docs/HARDWARE.md §3). Returns the checked initiation interval.
pub fn check_cycles(man: &Manifest, output: &str) -> Result<u64, SimError> {
    let (total, terms) = qrnn_rtl::manifest::check_cycle_formula(&man.cycle_formula)
        .map_err(|e| SimError::Cycles(e.to_string()))?;
    if total != man.latency {
        return Err(SimError::Cycles(format!(
            "cycle_formula `{}` totals {total}, the latency is {}",
            man.cycle_formula, man.latency
        )));
    }
    let ii = man.initiation_interval;
    let overlapped = man.layers.iter().all(|l| l.cell != "convlstm");
    // the cycles of a head that may run beside the next timestep (its own copy of h)
    let head = match (&man.head, man.layers.last()) {
        (Some(h), Some(l)) if overlapped && qrnn_rtl::ir::head_has_own_copy(h.fold.s, l.fold.s) => {
            h.cycles
        }
        _ => 0,
    };
    let want_ii =
        qrnn_rtl::ir::initiation_interval(total, man.in_len, man.out_len, overlapped, head);
    if ii != want_ii || man.cycles_per_step != ii {
        return Err(SimError::Cycles(format!(
            "the initiation interval is {ii} and cycles_per_step {}, the latency {total} gives {want_ii} (docs/HARDWARE.md §5)",
            man.cycles_per_step
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
    // T timesteps take (T − 1)·II + LATENCY held high, plus every stall when the core works on
    // one timestep at a time, at most that when it overlaps them (docs/HARDWARE.md §3)
    let nominal = steps.saturating_sub(1) * ii + total;
    let ok = if ii < total && stalled > 0 {
        cycles >= nominal && cycles <= nominal + stalled
    } else {
        cycles == nominal + stalled
    };
    if per_step != ii || !ok {
        return Err(SimError::Cycles(format!(
            "measured {cycles} cycles over {steps} timesteps ({per_step} per timestep, {stalled} \
             stall cycles), the compiler says ({steps} − 1)·{ii} + {total} = {nominal}: `{pass}`"
        )));
    }
    Ok(ii)
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
