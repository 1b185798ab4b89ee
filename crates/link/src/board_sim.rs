//! The simulated board of a generated board project: the project's `sim/uart_pty.cpp` (a copy of
//! this crate's `sim/uart_pty.cpp`, a Verilator C++ main that puts `board/qrnn_top.v` with the
//! generated core behind a pseudo-terminal) and the Makefile rules `make sim-board` /
//! `make sim-board-build` that build and start it. `gen --board` adds both beside
//! `qrnn_fpga::project`'s board files and rules.
//!
//! The bridge models the host side of the UART at the board's own bit time (CLK_HZ / BAUD, the
//! board top's integer division), so a host program talks to it exactly as to the real board on a
//! serial port: `qrnn-hw run MODEL --port /dev/pts/N`, or [`crate::serial::SerialLink`]. How it
//! maps wall-clock time to simulated time is described in the file's header and in
//! docs/PROTOCOL.md, "Simulated board".

use qrnn_fpga::board::{Board, Level};
use qrnn_fpga::project::BAUD;

/// Path of the bridge in a generated project.
pub const BRIDGE_PATH: &str = "sim/uart_pty.cpp";

/// The bridge's source.
pub const BRIDGE_CPP: &str = include_str!("../sim/uart_pty.cpp");

/// Where `make sim-board-build` leaves the simulated board, relative to the project.
pub const BINARY: &str = "build/board-sim/Vqrnn_top";

/// The bridge as a project file, (path, text).
pub fn bridge_file() -> (String, String) {
    (BRIDGE_PATH.to_string(), BRIDGE_CPP.to_string())
}

/// The C preprocessor settings of the bridge for `board`: its clock, the board top's baud rate and
/// whether `qrnn_top` has a `btn_rst` port and at which level it reads as pressed (the bridge holds
/// it released). They must agree with [`qrnn_fpga::project::wrapper`].
pub fn bridge_defines(board: &Board) -> String {
    let (btn, low) = match &board.button {
        Some(b) => (1, u8::from(b.active == Level::Low)),
        None => (0, 0),
    };
    format!(
        "-DQRNN_CLK_HZ={} -DQRNN_BAUD={BAUD} -DQRNN_BTN={btn} -DQRNN_BTN_ACTIVE_LOW={low}",
        board.clock.hz
    )
}

/// The Makefile rules of the simulated board, appended to a board project's Makefile (after the
/// board section, which defines `TOP_SRC`; `VERILATOR` comes from the project Makefile).
pub fn board_sim_rules(board: &Board) -> String {
    format!(
        "\n# ---- simulated board (docs/PROTOCOL.md \"Simulated board\"): board/qrnn_top.v and the core\n\
# under Verilator behind a pseudo-terminal. `make sim-board` prints `PTY /dev/pts/N`; talk to it with\n\
# `qrnn-hw run MODEL --port /dev/pts/N`. SIM_BOARD_ARGS: +idle_exit_s=N (exit after N s without\n\
# traffic; default 60, 0 = never), +trace (every byte on stderr). SIGTERM or Ctrl-C stops it.\n\
BOARD_SIM_DEFS := {defs}\n\
SIM_BOARD_ARGS ?=\n\
.PHONY: sim-board sim-board-build\n\n\
sim-board-build: {bin}\n\n\
{bin}: $(TOP_SRC) {src}\n\
\t@command -v $(VERILATOR) >/dev/null || {{ echo \"verilator not found: install it (Debian: apt-get install verilator) or set VERILATOR=…\"; exit 1; }}\n\
\t@mkdir -p build/board-sim\n\
\t$(VERILATOR) --cc --exe --build -j 2 -Wno-fatal -Wno-lint -Wno-style --top-module qrnn_top --Mdir build/board-sim -o Vqrnn_top -CFLAGS \"$(BOARD_SIM_DEFS)\" $(CURDIR)/{src} $(TOP_SRC) > build/board-sim/build.log 2>&1 || {{ tail -20 build/board-sim/build.log; echo \"verilator build of the simulated board failed; full log: build/board-sim/build.log\"; exit 1; }}\n\n\
sim-board: {bin}\n\
\t@./{bin} $(SIM_BOARD_ARGS)\n",
        defs = bridge_defines(board),
        bin = BINARY,
        src = BRIDGE_PATH,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(name: &str) -> Board {
        qrnn_fpga::find_board(name).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn defines_follow_the_board_clock_and_button() {
        // iCEBreaker: 12 MHz, an active-low user button
        let d = bridge_defines(&board("icebreaker"));
        assert_eq!(
            d,
            "-DQRNN_CLK_HZ=12000000 -DQRNN_BAUD=115200 -DQRNN_BTN=1 -DQRNN_BTN_ACTIVE_LOW=1"
        );
        for b in qrnn_fpga::boards().unwrap() {
            let d = bridge_defines(&b);
            assert!(d.contains(&format!("-DQRNN_CLK_HZ={} ", b.clock.hz)), "{d}");
            assert_eq!(d.contains("-DQRNN_BTN=1"), b.button.is_some(), "{}", b.name);
        }
    }

    #[test]
    fn rules_build_and_run_the_bridge() {
        let r = board_sim_rules(&board("icebreaker"));
        assert!(r.contains("sim-board: build/board-sim/Vqrnn_top\n"), "{r}");
        assert!(r.contains("build/board-sim/Vqrnn_top: $(TOP_SRC) sim/uart_pty.cpp\n"));
        assert!(r.contains("--top-module qrnn_top"));
        assert!(r.contains("$(CURDIR)/sim/uart_pty.cpp $(TOP_SRC)"));
        // make syntax: recipe lines start with a tab, no line is indented with spaces
        for l in r.lines() {
            assert!(!l.starts_with(' '), "{l:?}");
        }
    }

    #[test]
    fn bridge_source_prints_the_pty_line_and_uses_the_defines() {
        assert!(BRIDGE_CPP.contains("printf(\"PTY %s\\n\""));
        for d in [
            "QRNN_CLK_HZ",
            "QRNN_BAUD",
            "QRNN_BTN",
            "QRNN_BTN_ACTIVE_LOW",
            "QRNN_TIMEOUT_BITS",
        ] {
            assert!(BRIDGE_CPP.contains(&format!("#ifndef {d}\n")), "{d}");
        }
    }
}
