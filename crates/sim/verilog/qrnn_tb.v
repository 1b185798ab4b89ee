// qrnn_tb: the co-simulation testbench of every generated qrnn-hw design (hand-written, generic).
//
// It streams the stimulus the golden model wrote (sim/stim.hex: {seq_start, data} per input beat),
// checks every output beat against sim/expect_out.hex, checks every layer's state (h, c) through
// the probes of docs/HARDWARE.md §2 when a timestep's first output appears (sim/tb_probes.vh), and
// checks the cycle contract of docs/HARDWARE.md §3 per timestep and per sequence. It prints exactly
// one line starting with PASS, or a FAIL line naming the first mismatch, then finishes.
// Inputs are driven and outputs sampled in one clocked process with non-blocking assignments, so
// both simulators (Icarus and Verilator) see the same cycle-by-cycle behaviour.
//
// Parameters come from sim/tb_params.vh (generated): QRNN_WX, QRNN_WY, QRNN_IN_LEN, QRNN_OUT_LEN,
// QRNN_N_STEPS, QRNN_N_SEQ, QRNN_CYCLES_PER_STEP, QRNN_LATENCY, QRNN_II, QRNN_LOAD_CYCLES, and
// QRNN_WEIGHT_LOADER for a design with weights in SPRAM (docs/HARDWARE.md §4.3): then
// sim/tb_flash.vh holds the behavioural SPI flash, sim/tb_ports.vh the core's flash ports and
// sim/tb_loader.vh the flash with the image and the load checks. Plusargs: +VCD dumps
// sim/waves.vcd. Defining QRNN_NO_PROBES leaves the probes out (a synthesised netlist has no
// simulation-only views): outputs and cycles are still checked.
`timescale 1ns/1ps
`include "tb_params.vh"
`ifdef QRNN_WEIGHT_LOADER
`include "tb_flash.vh"
`endif

module qrnn_tb;
    localparam N_IN = `QRNN_N_STEPS * `QRNN_IN_LEN;
    localparam N_OUT = `QRNN_N_STEPS * `QRNN_OUT_LEN;
    localparam integer TIMEOUT = `QRNN_N_STEPS * `QRNN_CYCLES_PER_STEP * 2 + `QRNN_LOAD_CYCLES + 1000;

    reg clk = 1'b0;
    reg rst = 1'b1;
    always #5 clk = ~clk;

    reg [`QRNN_WX:0] stim [0:N_IN-1];
    reg [`QRNN_WY-1:0] expect_out [0:N_OUT-1];
`include "tb_arrays.vh"

    reg in_valid = 1'b0;
    reg [`QRNN_WX-1:0] in_data = {`QRNN_WX{1'b0}};
    reg in_seq_start = 1'b0;
    wire in_ready;
    wire out_valid;
    wire [`QRNN_WY-1:0] out_data;
    wire out_last;
    reg out_ready = 1'b1;
`ifdef QRNN_WEIGHT_LOADER
    // the weight loader's flash ports
    wire flash_csn, flash_sck, flash_mosi, flash_miso, load_err;
`endif

    qrnn_core dut (
        .clk(clk), .rst(rst),
        .in_valid(in_valid), .in_ready(in_ready), .in_data(in_data), .in_seq_start(in_seq_start),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data), .out_last(out_last)
`ifdef QRNN_WEIGHT_LOADER
`include "tb_ports.vh"
`endif
    );

    integer in_i = 0;
    integer out_i = 0;
    integer cycle = 0;
    integer step = 0;
    integer seq_i = 0;
    integer step_start = 0;
    integer seq_start_cycle = 0;
    integer seq_steps = 0;
    integer values = 0;
    integer got_cycles = 0;
    integer pi = 0;
    integer failed = 0;
    integer next_starts_seq = 0;
    integer first_in = -1;
    integer rst_low = 0;
`ifdef QRNN_WEIGHT_LOADER
`include "tb_loader.vh"
`endif

    initial begin
        $readmemh("sim/stim.hex", stim);
        $readmemh("sim/expect_out.hex", expect_out);
`include "tb_readmem.vh"
        if ($test$plusargs("VCD")) begin
            $dumpfile("sim/waves.vcd");
            $dumpvars(0, qrnn_tb);
        end
        repeat (3) @(posedge clk);
        rst <= 1'b0;
    end

    always @(posedge clk) begin
        cycle = cycle + 1;
        if (rst) begin
            rst_low = cycle; // the last edge with the core in reset
        end
        if (!rst && failed == 0) begin
            // ---- input side: a beat transferred at this edge if valid && ready before it
            if (in_valid && in_ready) begin
                if (first_in < 0) begin
                    first_in = cycle;
                end
                if (in_i % `QRNN_IN_LEN == 0) begin
                    // initiation interval: first input of a timestep to the next one's (§3)
                    if (in_i > 0 && cycle - step_start != `QRNN_II) begin
                        $display("FAIL cycles: timestep %0d started %0d cycles after the one before, the compiler predicted an initiation interval of %0d", in_i / `QRNN_IN_LEN, cycle - step_start, `QRNN_II);
                        failed = 1;
                    end
                    step_start = cycle;
                    if (stim[in_i][`QRNN_WX]) begin
                        seq_start_cycle = cycle;
                        seq_steps = 0;
                    end
                end
                in_i = in_i + 1;
            end
            if (in_i < N_IN) begin
                in_valid <= 1'b1;
                in_data <= stim[in_i][`QRNN_WX-1:0];
                in_seq_start <= stim[in_i][`QRNN_WX];
            end else begin
                in_valid <= 1'b0;
            end
            // ---- output side
            if (out_valid && out_ready) begin
                step = out_i / `QRNN_OUT_LEN;
                if (out_i % `QRNN_OUT_LEN == 0) begin
`ifndef QRNN_NO_PROBES
`include "tb_probes.vh"
`endif
                end
                if (failed == 0 && out_data !== expect_out[out_i]) begin
                    $display("FAIL mismatch: step %0d (sequence %0d) signal out element %0d: expected %0d got %0d (raw %h vs %h)",
                             step, seq_i, out_i % `QRNN_OUT_LEN, $signed(expect_out[out_i]), $signed(out_data), expect_out[out_i], out_data);
                    $display("TRACE-STEP %0d", step);
                    failed = 1;
                end
                values = values + 1;
                if (failed == 0 && ((out_i % `QRNN_OUT_LEN == `QRNN_OUT_LEN - 1) != out_last)) begin
                    $display("FAIL protocol: out_last is %0d at output beat %0d of step %0d", out_last, out_i % `QRNN_OUT_LEN, step);
                    failed = 1;
                end
                if (failed == 0 && out_i % `QRNN_OUT_LEN == `QRNN_OUT_LEN - 1) begin
                    got_cycles = cycle - step_start + 1;
                    if (got_cycles != `QRNN_LATENCY) begin
                        $display("FAIL cycles: step %0d took %0d cycles, the compiler predicted %0d", step, got_cycles, `QRNN_LATENCY);
                        failed = 1;
                    end
                    seq_steps = seq_steps + 1;
                    next_starts_seq = (step + 1 >= `QRNN_N_STEPS) ? 1 : stim[(step + 1) * `QRNN_IN_LEN][`QRNN_WX];
                    if (failed == 0 && next_starts_seq != 0) begin
                        got_cycles = cycle - seq_start_cycle + 1;
                        if (got_cycles != (seq_steps - 1) * `QRNN_II + `QRNN_LATENCY) begin
                            $display("FAIL cycles: sequence %0d took %0d cycles, predicted (%0d - 1) x %0d + %0d", seq_i, got_cycles, seq_steps, `QRNN_II, `QRNN_LATENCY);
                            failed = 1;
                        end
                        seq_i = seq_i + 1;
                    end
                end
                out_i = out_i + 1;
                if (failed == 0 && out_i == N_OUT) begin
                    $display("PASS sequences=%0d timesteps=%0d values=%0d cycles=%0d cycles_per_step=%0d",
                             `QRNN_N_SEQ, `QRNN_N_STEPS, values, cycle - first_in + 1, `QRNN_CYCLES_PER_STEP);
                    $finish;
                end
            end
        end
        if (failed != 0) begin
            $finish;
        end
        if (cycle > TIMEOUT) begin
            $display("FAIL timeout: %0d of %0d outputs after %0d cycles (in %0d of %0d inputs)", out_i, N_OUT, cycle, in_i, N_IN);
            $finish;
        end
    end
endmodule
