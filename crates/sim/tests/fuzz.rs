//! Differential fuzzing (issues #3, #4): seeded random small models — cell (LSTM, GRU, ConvLSTM with
//! random map sizes and kernels 1, 3, 5), sizes including 1, 3 and 17 (one dense layer in eight of
//! 33, 64 or 128 units), the family (and so the buffers' block/LUT/flip-flop placement), one design
//! in three with its family's default device (and so the DSP budget's LUT multipliers),
//! weight scheme, activation and state formats, 1-bit activations, per-row scales, folding, ROM or
//! logic weights, on iCE40 one design in four with its first weight memory in SPRAM (loaded from a
//! behavioural SPI flash), one in six of those with hard-wired weights fully parallel (constant
//! matrices: shared adder graphs), one in five with wide layers (`P = 2·G … 4·G`: parallel update
//! units where the banks allow) — generated, linted, built with Verilator and compared exactly with the golden
//! model (one design in eight also on Icarus); about half the designs run a second time with random
//! backpressure on the input and output handshakes (docs/HARDWARE.md §3), on every simulator they
//! run on. 100 designs per run, in 10 shards that cargo runs in parallel.
//!
//! The base seed is printed; a failing design prints its own seed and the one command that replays
//! it: `QRNN_FUZZ_REPLAY=<seed> cargo test -p qrnn-sim --test fuzz replay -- --ignored`.
//! `QRNN_FUZZ_SEED=<n>` fixes the base seed of a whole run.

mod common;
use common::{project_files, write_files};

use qrnn_model::example::{example, ExampleSpec, Formats, Rng};
use qrnn_model::{ActFmt, Cell, Fmt, Model, Scheme};
use qrnn_project::Request;
use qrnn_rtl::passes::WeightsMode;
use qrnn_rtl::{EngineId, Family, Fold};
use qrnn_sim::{
    icarus, icarus_with, lint, verilator_fast, verilator_fast_with, RunOpts, Stimulus, Tool,
};

const SHARDS: u64 = 10;
const PER_SHARD: u64 = 10;

fn base_seed() -> u64 {
    match std::env::var("QRNN_FUZZ_SEED") {
        Ok(s) => s.parse().expect("QRNN_FUZZ_SEED must be a number"),
        Err(_) => {
            // one base seed per test process, from the clock, printed by every shard
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(1);
            t / 600 * 1000 // stable for ten minutes, so all shards of one run share it
        }
    }
}

fn fmt(rng: &mut Rng, wmin: i64, wmax: i64) -> Fmt {
    let w = rng.range(wmin, wmax) as u32;
    let f = rng.range(0, w as i64 - 1) as i32;
    Fmt::new(w, f).expect("in range")
}

/// A random design: model, options and the backpressure seed (`None`: none), all from one seed.
fn design(seed: u64) -> Option<(Model, Request, Option<u32>, String)> {
    let mut rng = Rng::new(seed);
    let cell = rng.pick(&[Cell::Lstm, Cell::Gru, Cell::Lstm, Cell::Gru, Cell::ConvLstm]);
    let conv = cell == Cell::ConvLstm;
    let k = rng.range(2, 7) as u8;
    let scheme = rng.pick(&[
        Scheme::Binary,
        Scheme::Ternary,
        Scheme::Quaternary,
        Scheme::Int(8),
        Scheme::Int(k),
    ]);
    let sizes: &[usize] = if conv {
        &[1, 2, 3]
    } else {
        &[1, 2, 3, 4, 5, 17]
    };
    let layers = rng.range(1, 2) as usize;
    // one dense layer in eight is large (33, 64 or 128 units): banks several words deep, block
    // RAM placement (docs/HARDWARE.md §4.1)
    let hidden: Vec<usize> = (0..layers)
        .map(|_| {
            if !conv && rng.below(8) == 0 {
                rng.pick(&[33, 64, 128])
            } else {
                rng.pick(sizes)
            }
        })
        .collect();
    let input = rng.pick(sizes);
    let kernel = rng.pick(&[1usize, 3, 3, 5]);
    let map = (rng.range(1, 6) as usize, rng.range(1, 6) as usize);
    let binary_x = rng.below(4) == 0;
    let binary_h = rng.below(4) == 0;
    let pre = fmt(&mut rng, 3, 9);
    let formats = Formats {
        x: if binary_x {
            ActFmt::Binary
        } else {
            ActFmt::Fixed(fmt(&mut rng, 2, 10))
        },
        h: if binary_h {
            ActFmt::Binary
        } else {
            ActFmt::Fixed(fmt(&mut rng, 2, 10))
        },
        c: fmt(&mut rng, 6, 18),
        pre,
        act_frac: rng.range(2, 9) as u32,
        bias: fmt(&mut rng, 4, 16),
        out: fmt(&mut rng, 4, 18),
    };
    let spec = ExampleSpec {
        cell,
        scheme,
        input,
        hidden: hidden.clone(),
        head: if rng.below(2) == 0 {
            Some(rng.range(1, 3) as usize)
        } else {
            None
        },
        kernel: if conv { kernel } else { 1 },
        map: conv.then_some(map),
        formats,
        per_row_mult: rng.below(5) == 0,
        seed,
    };
    let m = example(&spec);
    if m.validate().is_err() {
        return None;
    }
    // the family decides the buffers' placement (block RAM, LUT RAM, flip-flops); one design in
    // three has its default device, whose DSP budget turns products into LUT multipliers
    let target = rng.pick(&[Family::Ice40, Family::Ecp5, Family::Gowin]);
    let with_device = rng.below(3) == 0;
    let mut o = Request {
        weights: rng.pick(&[WeightsMode::Rom, WeightsMode::Logic, WeightsMode::Auto]),
        target,
        device: if with_device {
            qrnn_fpga::device(target.default_device())
        } else {
            None
        },
        allow_overfit: true,
        ..Request::default()
    };
    // on iCE40, one design in four has its first weight memory in SPRAM: the co-simulation then
    // includes the weight load from the behavioural SPI flash (docs/HARDWARE.md §4.3)
    if target == Family::Ice40 && rng.below(4) == 0 {
        o.place
            .insert("l0_w".into(), qrnn_rtl::ir::Placement::Spram);
    }
    // a random fold per engine within its limit (layers: P ≤ 6; all: S ≤ 9)
    for e in qrnn_rtl::passes::lower(&m).ok()?.engines() {
        let lim = e.fold_limit();
        let pmax = match e.id {
            EngineId::Layer(_) => lim.p.min(6),
            EngineId::Head => lim.p,
        };
        let f = Fold {
            p: rng.range(1, pmax as i64) as usize,
            s: rng.range(1, lim.s.min(9) as i64) as usize,
        };
        o.folds.pin(e.id, f);
    }
    // about half the designs also run with random backpressure (drawn last: the designs of
    // earlier seeds stay as they were)
    let backpressure = (rng.below(2) == 0).then(|| rng.below(1 << 31) as u32);
    // random pipeline levels (docs/HARDWARE.md §4.4) for two designs in three, the family's
    // default for the others (drawn after the rest, for the same reason)
    if rng.below(3) != 0 {
        o.pipeline = Some(qrnn_rtl::ir::Pipe {
            mv: rng.range(0, qrnn_rtl::ir::Pipe::MAX_MV as i64) as u32,
            update: rng.range(0, qrnn_rtl::ir::Pipe::MAX_UPDATE as i64) as u32,
        });
    }
    // one design in six with hard-wired weights has every dense engine fully parallel (at most
    // 2048 codes each): constant matrices, compiled to shared adder graphs (docs/HARDWARE.md
    // §4.7; drawn last, as the rest)
    if rng.below(6) == 0 && o.weights == WeightsMode::Logic && !o.place.contains_key("l0_w") {
        let engines: Vec<_> = qrnn_rtl::passes::lower(&m)
            .ok()?
            .engines()
            .cloned()
            .collect();
        if engines
            .iter()
            .all(|e| e.conv.is_none() && e.fold_limit().p * e.fold_limit().s <= 2048)
        {
            for e in &engines {
                o.folds.pin(e.id, e.fold_limit());
            }
        }
    }
    // one design in five has wide dense layers (`P = r·G` rows per group, r = 2, 3, 4), whose groups
    // complete several units at once, so that their updates get parallel units where the banks
    // allow (docs/HARDWARE.md §4.2; drawn last, as the rest)
    if rng.below(5) == 0 {
        for e in qrnn_rtl::passes::lower(&m).ok()?.layers.iter() {
            let (lim, g) = (e.fold_limit(), e.gates());
            if e.conv.is_some() || lim.p < 2 * g {
                continue;
            }
            let s = o.folds.get(e.id, lim).map_or(1, |f| f.s);
            // a multiple of G where it fits, so that the z bank groups split evenly
            let r = rng.range(2, 4) as usize;
            let p = (r * g).min(lim.p);
            o.folds.pin(e.id, Fold { p, s });
        }
    }
    let desc = format!(
        "{cell} {scheme} in {input} hidden {hidden:?}{} head {:?} x {} h {} pre {} Fa {} folds {:?} weights {:?} place {:?} target {target} pipeline {}{}{}",
        if conv { format!(" map {map:?} k {kernel}") } else { String::new() },
        m.head.as_ref().map(|h| h.outputs()),
        m.input.format,
        m.layers[0].h_fmt,
        pre,
        m.layers[0].act_frac,
        o.folds,
        o.weights,
        o.place,
        o.pipeline
            .map_or("default".to_string(), |p| p.to_string()),
        if with_device { " with device" } else { "" },
        backpressure
            .map(|b| format!(" backpressure {b}"))
            .unwrap_or_default()
    );
    Some((m, o, backpressure, desc))
}

/// Generate, lint, co-simulate one design; `Err` with a replayable report on any failure.
fn check(seed: u64) -> Result<Option<String>, String> {
    let Some((m, o, backpressure, desc)) = design(seed) else {
        return Ok(None);
    };
    let fail = |what: &str, detail: &str| {
        Err(format!(
            "design seed {seed} ({desc}): {what}\n{detail}\nreplay: QRNN_FUZZ_REPLAY={seed} cargo test -p qrnn-sim --test fuzz replay -- --ignored"
        ))
    };
    let dir = tempfile::Builder::new()
        .prefix("qrnn-fuzz-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let stim = Stimulus::random(&m, &[3, 2], seed);
    let (man, files) = match project_files(&m, &o, &stim) {
        Ok(x) => x,
        Err(e) => {
            return fail(
                "generation failed",
                &format!("{:?}", miette::Report::new(e)),
            )
        }
    };
    write_files(dir.path(), &files).map_err(|e| e.to_string())?;
    match lint(dir.path()) {
        Ok(()) => {}
        Err(e @ qrnn_sim::SimError::Lint { .. }) => return fail("lint failed", &e.to_string()),
        Err(e) => return Err(e.to_string()),
    }
    let out = verilator_fast(dir.path(), Some(&common::cache_dir())).map_err(|e| e.to_string())?;
    if !out.pass {
        return fail("co-simulation failed", &out.output);
    }
    // the cycle_formula's terms sum to cycles_per_step and to the measured cycles
    if let Err(e) = qrnn_sim::check_cycles(&man, &out.output) {
        return fail("cycle count", &e.to_string());
    }
    // the same build with random backpressure: the same values, and every interval of the cycle
    // contract its figure plus the stall cycles in it (the testbench checks; the total here)
    let bp = backpressure.map(RunOpts::backpressure);
    if let Some(bp) = &bp {
        let out = verilator_fast_with(dir.path(), Some(&common::cache_dir()), bp)
            .map_err(|e| e.to_string())?;
        if !out.pass {
            return fail("co-simulation with backpressure failed", &out.output);
        }
        if let Err(e) = qrnn_sim::check_cycles(&man, &out.output) {
            return fail("cycle count with backpressure", &e.to_string());
        }
    }
    // one design in eight also runs on Icarus, whose four-valued logic exposes any X that
    // Verilator's two-valued simulation would hide (e.g. a register never reset)
    // (under QRNN_REQUIRE_TOOLS=1 a missing iverilog or vvp fails the run instead of dropping
    // this leg)
    if seed.is_multiple_of(8) && common::have(&[Tool::iverilog(), Tool::vvp()]) {
        let out = icarus(dir.path()).map_err(|e| e.to_string())?;
        if !out.pass {
            return fail("Icarus co-simulation failed", &out.output);
        }
        if let Some(bp) = &bp {
            let out = icarus_with(dir.path(), bp).map_err(|e| e.to_string())?;
            if !out.pass {
                return fail("Icarus co-simulation with backpressure failed", &out.output);
            }
        }
    }
    // the update units the generator chose (docs/HARDWARE.md §4.2), for the log
    let units: Vec<usize> = man.layers.iter().map(|l| l.update_units).collect();
    Ok(Some(format!("{desc} update units {units:?}")))
}

fn shard(k: u64) {
    if !common::have(&[Tool::verilator(), Tool::yosys()]) {
        return;
    }
    let base = base_seed();
    eprintln!("fuzz shard {k}: base seed {base} (QRNN_FUZZ_SEED={base} replays the whole run)");
    let mut done = 0;
    let mut i = 0;
    // skip seeds whose random model is invalid (e.g. too wide), but always check PER_SHARD designs
    while done < PER_SHARD {
        let seed = base + k * 1000 + i;
        i += 1;
        assert!(
            i < 1000,
            "shard {k}: could not draw {PER_SHARD} valid designs"
        );
        match check(seed) {
            Ok(Some(desc)) => {
                done += 1;
                eprintln!("  ok {seed}: {desc}");
            }
            Ok(None) => {}
            Err(e) => panic!("{e}"),
        }
    }
}

macro_rules! shards {
    ($($name:ident = $k:expr;)*) => {$(
        #[test]
        fn $name() {
            shard($k);
        }
    )*};
}

shards! {
    shard0 = 0; shard1 = 1; shard2 = 2; shard3 = 3; shard4 = 4;
    shard5 = 5; shard6 = 6; shard7 = 7; shard8 = 8; shard9 = 9;
}

const _: () = assert!(SHARDS * PER_SHARD >= 100, "at least 100 designs per run");

/// Designs a run found failing, checked on every run. 2994449001: an int8 LSTM stack with
/// 1-bit activations and hard-wired, fully parallel weights, which Verilator 5.006 miscompiles
/// with module inlining on (docs/HARDWARE.md §8: Icarus and Verilator `-fno-inline` agree with
/// the golden model).
const FOUND: &[u64] = &[2994449001];

#[test]
fn found_designs() {
    if !common::have(&[Tool::verilator(), Tool::yosys()]) {
        return;
    }
    for &seed in FOUND {
        match check(seed) {
            Ok(Some(desc)) => eprintln!("  ok {seed}: {desc}"),
            Ok(None) => panic!("found design {seed} no longer draws a valid design"),
            Err(e) => panic!("{e}"),
        }
    }
}

/// Replay one design: `QRNN_FUZZ_REPLAY=<seed> cargo test -p qrnn-sim --test fuzz replay -- --ignored`.
#[test]
#[ignore = "replays the design named by QRNN_FUZZ_REPLAY"]
fn replay() {
    let seed: u64 = std::env::var("QRNN_FUZZ_REPLAY")
        .expect("set QRNN_FUZZ_REPLAY=<seed>")
        .parse()
        .expect("a number");
    assert!(
        common::have(&[Tool::verilator(), Tool::yosys()]),
        "tools needed"
    );
    match check(seed) {
        Ok(Some(desc)) => eprintln!("ok {seed}: {desc}"),
        Ok(None) => panic!("seed {seed} draws an invalid model"),
        Err(e) => panic!("{e}"),
    }
}
