//! `qrnn-project`: the one path from a model and the user's options to a generated project —
//! what `qrnn-hw gen` writes and what every co-simulation, fuzzing and reference-RTL test builds.
//!
//! - [`plan`]: the options (`--fold`, `--weights`, the target) and, with `--fit`, the auto-fit
//!   choice; runs the generator's passes once ([`Planned::design`], which a caller may inspect,
//!   e.g. to estimate the cost of what follows).
//! - [`assemble`]: elaborates the planned design and adds everything else of a project — the
//!   testbench and the golden model's vectors (`sim/`), the Makefile (with a board's rules), the
//!   board files, `qrnn.json` (with device, package, board and fit) and `README.md` — as one
//!   sorted file set.
//! - [`config`]: `qrnn.toml`, the project file (`gen` writes it, `gen --config` reads it).
//! - [`options`]: the options as the user gives them, resolved and checked into a [`Request`].
//! - [`write`]: writes a file set as a project directory atomically (a temporary directory
//!   beside it, renamed into place; an existing project only replaced when asked).
//! - [`generate`]: `plan` then `assemble`, for callers without a budget to check in between.

pub mod config;
pub mod options;
mod readme;
mod write;

pub use readme::readme;
pub use write::{write, Written};

use miette::Diagnostic;
use qrnn_fpga::{Board, Device};
use qrnn_model::Model;
use qrnn_plan::feasible::Feasibility;
use qrnn_plan::fit::{Fit, FitError, FitOptions};
use qrnn_rtl::ir::Design;
use qrnn_rtl::manifest::Manifest;
use qrnn_rtl::passes::{Options, WeightsMode};
use qrnn_rtl::{Family, FoldSpec, RtlError};
use qrnn_sim::Stimulus;
use std::path::PathBuf;
use thiserror::Error;

/// A file of a project: path relative to the project root, contents.
pub type File = (String, String);

/// What to generate: the options of `qrnn-hw gen` after the command line is resolved.
#[derive(Clone, Debug)]
pub struct Request {
    /// `--fold`: the folding asked for (the rest default; with `fit`, the rest searched).
    pub folds: FoldSpec,
    /// `--weights`.
    pub weights: WeightsMode,
    /// The family (`--target`, or the board's or device's).
    pub target: Family,
    /// `--board`: adds the UART board top, the pin file and the bitstream and flash rules.
    pub board: Option<Board>,
    /// `--clock-mhz`: the board's core clock (its PLL's output at or below it); `None` is the
    /// family's default (`qrnn_fpga::pll::default_core_clock_mhz`). Only with a board.
    pub clock_mhz: Option<f64>,
    /// The device (`--device`, the board's, or with `fit` the family's default).
    pub device: Option<&'static Device>,
    /// `--fit`: choose the folding of every engine not pinned, for `device`.
    pub fit: bool,
    /// `--allow-overfit`: write the project even when the design does not fit `device`.
    pub allow_overfit: bool,
    /// `--place NAME=KIND`: per-memory placement overrides.
    pub place: std::collections::BTreeMap<String, qrnn_rtl::ir::Placement>,
    /// `--pipeline`: the pipeline levels of the dense engines; `None`: the family's default.
    pub pipeline: Option<qrnn_rtl::ir::Pipe>,
    /// `--target-rate`: timesteps per second the fit must reach with the smallest design (at the
    /// clock [`qrnn_rtl::timing::fmax_estimate`] expects); needs `fit`.
    pub target_rate: Option<f64>,
    /// The project file to write into the project as `qrnn.toml` (`qrnn-hw gen` gives one: the
    /// options that made it); `None` writes none.
    pub config: Option<config::Config>,
}

/// An iCE40 core project with the default folding and weights.
impl Default for Request {
    fn default() -> Request {
        Request::new(Family::Ice40)
    }
}

impl Request {
    /// The generator's options for this request (without the fit's choice).
    pub fn options(&self) -> Options {
        Options {
            folds: self.folds.clone(),
            weights: self.weights,
            target: self.target,
            dsps: self.device.map(|d| d.dsps.into()),
            place: self.place.clone(),
            flash_offset: self.flash_offset(),
            pipeline: self.pipeline,
        }
    }

    /// The board's core clock and the PLL that makes it ([`Request::clock_mhz`]); `None`
    /// without a board. A frequency the PLL cannot make is [`qrnn_fpga::FpgaError::Clock`].
    pub fn core_clock(&self) -> Result<Option<qrnn_fpga::pll::Pll>, qrnn_fpga::FpgaError> {
        self.board
            .as_ref()
            .map(|b| qrnn_fpga::pll::core_clock(b, self.clock_mhz))
            .transpose()
    }

    /// Flash address of the weight image: the board's, or the default.
    pub fn flash_offset(&self) -> u32 {
        self.board
            .as_ref()
            .and_then(|b| b.weight_offset())
            .unwrap_or(qrnn_rtl::passes::DEFAULT_FLASH_OFFSET)
    }

    /// A core project for `target` with the default folding and weights.
    pub fn new(target: Family) -> Request {
        Request {
            folds: FoldSpec::default(),
            weights: WeightsMode::Auto,
            target,
            board: None,
            clock_mhz: None,
            device: None,
            fit: false,
            allow_overfit: false,
            place: Default::default(),
            pipeline: None,
            target_rate: None,
            config: None,
        }
    }
}

/// Why a project could not be made.
#[derive(Debug, Error, Diagnostic)]
pub enum ProjectError {
    /// The generator refused the model or the options (or failed: its own code says which).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Rtl(#[from] RtlError),
    /// Auto-fit found no folding within the device's budget (or the generator failed in it).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Fit(#[from] FitError),
    /// The board part of the project cannot be made (a design that needs the board's flash on a
    /// board without one, say).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Board(#[from] qrnn_fpga::FpgaError),
    /// The testbench or its vectors could not be made.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Sim(#[from] qrnn_sim::SimError),
    /// The design needs more of a resource than the device has (docs/HARDWARE.md §10
    /// "Feasibility"); nothing is written.
    #[error("the design does not fit {part} ({device}): it needs {overruns}")]
    #[diagnostic(code(qrnn::gen::overfit), help("{help}"))]
    Overfit {
        /// The device's part name.
        part: String,
        /// The device's `--device` name.
        device: String,
        /// What it needs of what, in words.
        overruns: String,
        /// The options that would fix it.
        help: String,
    },
    /// `fit` without a device.
    #[error("auto-fit needs a device")]
    #[diagnostic(code(qrnn::internal))]
    FitWithoutDevice,
    /// `--target-rate` beyond every design that fits the device.
    #[error(
        "--target-rate {rate}: no folding that fits {device} reaches {rate} timesteps per second at the estimated {mhz:.1} MHz: the fastest takes {cycles} cycles per timestep, {best:.0} timesteps per second"
    )]
    #[diagnostic(
        code(qrnn::gen::rate),
        help("ask for at most {best:.0} timesteps per second, or a larger device (`--device`); docs/HARDWARE.md §4.5 gives the clock estimates")
    )]
    Rate {
        /// The rate asked for.
        rate: f64,
        /// The device's part name.
        device: String,
        /// The clock estimate, MHz.
        mhz: f64,
        /// Cycles per timestep of the fastest design that fits.
        cycles: u64,
        /// Its rate.
        best: f64,
    },
    /// The output path names no directory to create (`.`, `..`, a root).
    #[error("{}: -o must name a directory to create, not `.`, `..` or a root", path.display())]
    #[diagnostic(
        code(qrnn::gen::output),
        help("name the project directory, e.g. -o build/model-hw")
    )]
    Output {
        /// The output path.
        path: PathBuf,
    },
    /// Something stands at the output path that may not be replaced.
    #[error("{}{}", path.display(), why)]
    #[diagnostic(code(qrnn::gen::exists), help("{help}"))]
    Exists {
        /// The output path.
        path: PathBuf,
        /// ` already holds a qrnn-hw project`, or ` already exists and cannot be replaced: …`.
        why: String,
        /// What to do.
        help: String,
    },
    /// Writing the project failed.
    #[error("{what}")]
    #[diagnostic(code(qrnn::gen::io))]
    Io {
        /// What was being done, with the path.
        what: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The options resolved and the passes run: what [`assemble`] elaborates.
pub struct Planned {
    /// The generator's options (the fit's choice, when fitted).
    pub options: Options,
    /// The scheduled design.
    pub design: Design,
    /// The auto-fit choice, when asked for.
    pub fit: Option<Fit>,
    /// The design against the device, when one is known.
    pub feasibility: Option<Feasibility>,
}

/// Resolve the folding (auto-fit when asked) and run the generator's passes; `dump` gets each
/// pass name and the design after it (`--dump-ir-after`).
pub fn plan(
    model: &Model,
    req: &Request,
    dump: impl FnMut(&str, &Design),
) -> Result<Planned, ProjectError> {
    let mut options = req.options();
    let fit = if req.fit {
        let dev = req.device.ok_or(ProjectError::FitWithoutDevice)?;
        let pipe = req
            .pipeline
            .unwrap_or_else(|| qrnn_rtl::timing::default_pipe(dev.family));
        let mhz = qrnn_rtl::timing::fmax_estimate(dev.family, Some(dev.name), pipe);
        let max_cycles = req
            .target_rate
            .map(|r| ((mhz * 1e6 / r).floor() as u64).max(1));
        let o = FitOptions {
            pinned: req.folds.clone(),
            weights: req.weights,
            max_cycles,
            pipeline: req.pipeline,
            // a board without a flash table cannot load weights into SPRAM
            allow_spram: req
                .board
                .as_ref()
                .is_none_or(|b| b.weight_offset().is_some()),
            ..FitOptions::default()
        };
        let f = qrnn_plan::fit::fit(model, dev, &o)?;
        if let (Some(rate), Some(cap)) = (req.target_rate, max_cycles) {
            let cycles = f.used.cycles.max(0) as u64;
            if cycles > cap {
                return Err(ProjectError::Rate {
                    rate,
                    device: dev.part.to_string(),
                    mhz,
                    cycles,
                    best: qrnn_rtl::timing::rate(mhz, cycles),
                });
            }
        }
        options = Options {
            place: req.place.clone(),
            flash_offset: req.flash_offset(),
            pipeline: req.pipeline,
            ..f.options()
        };
        Some(f)
    } else {
        None
    };
    let design = qrnn_rtl::passes::run_pipeline(model, &options, dump)?;
    if let Some(f) = &fit {
        if f.used.cycles.max(0) as u64 != design.latency()
            || f.stream.ii(&f.used) != design.cycles_per_step
        {
            return Err(RtlError::internal(
                "fit",
                format!(
                    "auto-fit expected a latency of {} cycles ({} per timestep), the generator gives {} ({})",
                    f.used.cycles,
                    f.stream.ii(&f.used),
                    design.latency(),
                    design.cycles_per_step
                ),
            )
            .into());
        }
    }
    let feasibility = req
        .device
        .map(|dev| qrnn_plan::feasible::check(&design, dev));
    if let Some(f) = feasibility.as_ref().filter(|f| !f.fits()) {
        if !req.allow_overfit {
            let dev = f.device;
            let mut help = Vec::new();
            if !req.fit {
                help.push("`--fit` chooses the fastest folding that fits".to_string());
            }
            help.push("a smaller folding (`--fold all=1x4`)".to_string());
            if f.overruns.iter().any(|o| o.0 == qrnn_plan::fit::Res::Bram) {
                help.push("`--weights logic` for small weight memories".to_string());
            }
            if let Ok(Some(bigger)) = qrnn_plan::fit::smallest_device(
                model,
                &FitOptions {
                    pinned: FoldSpec::default(),
                    weights: req.weights,
                    ..FitOptions::default()
                },
            ) {
                if bigger.name != dev.name {
                    help.push(format!(
                        "a larger device: it fits {} (`--device {}`, family {})",
                        bigger.part, bigger.name, bigger.family
                    ));
                }
            }
            help.push("`--allow-overfit` writes the project anyway".to_string());
            return Err(ProjectError::Overfit {
                part: dev.part.to_string(),
                device: dev.name.to_string(),
                overruns: f.overrun_text(),
                help: help.join("; "),
            });
        }
    }
    Ok(Planned {
        options,
        design,
        fit,
        feasibility,
    })
}

/// A generated project in memory.
pub struct Project {
    /// `qrnn.json`.
    pub manifest: Manifest,
    /// Every file, sorted by path.
    pub files: Vec<File>,
    /// The auto-fit choice, when asked for.
    pub fit: Option<Fit>,
}

/// Elaborate a planned design and assemble the whole project around it.
pub fn assemble(
    model: &Model,
    req: &Request,
    planned: Planned,
    stim: &Stimulus,
) -> Result<Project, ProjectError> {
    let Planned {
        options,
        design,
        fit,
        feasibility: _,
    } = planned;
    let pll = req.core_clock()?;
    let u = qrnn_plan::fit::usage(&design, req.target);
    let mut g = qrnn_rtl::elaborate(model, design, &options)?;
    g.manifest.family_use = Some(qrnn_rtl::manifest::FamilyUse {
        logic_unit: qrnn_plan::fit::Res::Logic.key(req.target).to_string(),
        logic: u.r[qrnn_plan::fit::Res::Logic as usize].max(0) as u64,
        dsp: u.r[qrnn_plan::fit::Res::Dsp as usize].max(0) as u64,
    });
    let m = &mut g.manifest;
    if let Some(d) = req.device {
        m.device = Some(d.name.to_string());
        m.package = d.packages.first().map(|p| p.to_string());
        m.fmax_estimate_mhz = qrnn_rtl::timing::fmax_estimate(d.family, Some(d.name), m.pipeline);
        m.timesteps_per_second_estimate =
            qrnn_rtl::timing::rate(m.fmax_estimate_mhz, m.cycles_per_step);
    }
    if let Some(b) = &req.board {
        m.board = Some(b.name.clone());
        m.board_clock = pll.as_ref().map(|p| p.manifest());
        m.device = Some(b.device.clone());
        m.package = Some(b.package.clone());
    }
    if let Some(f) = &fit {
        m.fit = Some(f.manifest());
    }
    let mut files = g.files;
    files.extend(qrnn_sim::sim_files(model, &g.manifest, stim).map_err(qrnn_sim::SimError::from)?);
    let mut mk = qrnn_sim::makefile(&g.manifest);
    if let (Some(b), Some(pll)) = (&req.board, &pll) {
        files.extend(qrnn_fpga::project::board_files(b, &g.manifest, pll)?);
        files.extend(qrnn_link::board_sim::files(b, &g.manifest));
        mk.push_str(&qrnn_fpga::project::makefile_rules(b, pll));
        mk.push_str(&qrnn_link::board_sim::rules(b, &g.manifest, pll));
    }
    files.push(("Makefile".into(), mk));
    let json = serde_json::to_string_pretty(&g.manifest)
        .map_err(|e| RtlError::internal("manifest", format!("serializing qrnn.json: {e}")))?;
    files.push(("qrnn.json".into(), json + "\n"));
    let mut rd = readme(model, &g.manifest);
    if let Some(c) = &req.config {
        files.push((config::FILE_NAME.into(), c.render()));
        rd.push_str(&readme::project_file_section());
    }
    files.push(("README.md".into(), rd));
    files.sort_by(|x, y| x.0.cmp(&y.0));
    Ok(Project {
        manifest: g.manifest,
        files,
        fit,
    })
}

/// [`plan`] then [`assemble`]: the project `qrnn-hw gen` would write for `req` and `stim`.
pub fn generate(model: &Model, req: &Request, stim: &Stimulus) -> Result<Project, ProjectError> {
    let planned = plan(model, req, |_, _| {})?;
    assemble(model, req, planned, stim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrnn_model::example::{example, ExampleSpec};
    use qrnn_model::{Cell, Scheme};

    fn demo() -> Model {
        let mut s = ExampleSpec::new(Cell::Lstm, Scheme::Ternary, 3, 4, 5);
        s.head = Some(2);
        example(&s)
    }

    #[test]
    fn a_project_has_every_part_once_and_sorted() {
        let m = demo();
        let stim = Stimulus::random(&m, &[3], 1);
        let p = generate(&m, &Request::new(Family::Ecp5), &stim).unwrap();
        let paths: Vec<&str> = p.files.iter().map(|f| f.0.as_str()).collect();
        let mut sorted = paths.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(paths, sorted);
        for want in ["Makefile", "qrnn.json", "README.md", "rtl/qrnn_core.v"] {
            assert!(paths.contains(&want), "{want}: {paths:?}");
        }
        assert!(paths.iter().any(|p| p.starts_with("sim/")));
        assert_eq!(p.manifest.target, Family::Ecp5);
        let json = &p.files.iter().find(|f| f.0 == "qrnn.json").unwrap().1;
        let back: Manifest = serde_json::from_str(json).unwrap();
        assert_eq!(back, p.manifest);
    }

    #[test]
    fn a_board_adds_its_files_and_device() {
        let m = demo();
        let stim = Stimulus::random(&m, &[2], 1);
        let b = qrnn_fpga::find_board("icebreaker").unwrap();
        let mut req = Request::new(b.family);
        req.board = Some(b.clone());
        let p = generate(&m, &req, &stim).unwrap();
        assert_eq!(p.manifest.board.as_deref(), Some("icebreaker"));
        assert_eq!(p.manifest.device.as_deref(), Some(b.device.as_str()));
        assert!(p.files.iter().any(|f| f.0.ends_with(".pcf")));
        // the default core clock, recorded once and said everywhere
        let file = |name: &str| &p.files.iter().find(|f| f.0 == name).unwrap().1;
        let c = p.manifest.board_clock.clone().expect("a board clock");
        assert_eq!(
            (c.board_hz, c.requested_mhz, c.clk_hz),
            (12_000_000, 36.0, 36_000_000)
        );
        assert_eq!(c.pll, "SB_PLL40_PAD");
        assert_eq!(c.params["DIVF"], 47);
        assert!(file("Makefile").contains("CORE_MHZ  := 36\n"));
        assert!(file("board/qrnn_top.v").contains(".CLK_HZ(36000000)"));
        assert!(file("board/qrnn_pll.v").contains("SB_PLL40_PAD #("));
        assert!(file("README.md").contains("| core clock | 36 MHz (requested 36 MHz) |"));
        // --clock-mhz: the highest the PLL makes at or below it
        req.clock_mhz = Some(30.5);
        let p = generate(&m, &req, &stim).unwrap();
        let c = p.manifest.board_clock.clone().unwrap();
        assert_eq!(
            (c.requested_mhz, c.achieved_mhz, c.clk_hz),
            (30.5, 30.375, 30_375_000)
        );
        // one it cannot make is refused before anything is elaborated
        req.clock_mhz = Some(10.0);
        match generate(&m, &req, &stim) {
            Err(ProjectError::Board(e @ qrnn_fpga::FpgaError::Clock { .. })) => {
                assert!(e.to_string().contains("--clock-mhz 10"), "{e}")
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("10 MHz accepted"),
        }
        // no board, no clock
        assert!(generate(&m, &Request::new(Family::Ice40), &stim)
            .unwrap()
            .manifest
            .board_clock
            .is_none());
    }

    #[test]
    fn fit_needs_a_device_and_records_its_choice() {
        let m = demo();
        let stim = Stimulus::random(&m, &[2], 1);
        let mut req = Request::new(Family::Ice40);
        req.fit = true;
        assert!(matches!(
            generate(&m, &req, &stim),
            Err(ProjectError::FitWithoutDevice)
        ));
        req.device = qrnn_fpga::device("up5k");
        let p = generate(&m, &req, &stim).unwrap();
        let fit = p.manifest.fit.as_ref().expect("fit recorded");
        assert_eq!(fit.cycles_per_step, p.manifest.cycles_per_step);
        assert!(p
            .files
            .iter()
            .any(|f| f.0 == "README.md" && f.1.contains("Auto-fit")));
    }

    #[test]
    fn a_bad_fold_is_the_users_error() {
        let m = demo();
        let stim = Stimulus::random(&m, &[2], 1);
        let mut req = Request::new(Family::Ice40);
        req.folds = FoldSpec::parse(&["layer3=1x1"]).unwrap();
        match generate(&m, &req, &stim) {
            Err(ProjectError::Rtl(RtlError::Fold(m))) => assert!(m.contains("layer3"), "{m}"),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("layer3 accepted"),
        }
    }
}
