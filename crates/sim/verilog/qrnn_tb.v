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
// sim/waves.vcd; +backpressure=SEED drives random backpressure (below). Defining QRNN_NO_PROBES
// leaves the probes out (a synthesised netlist has no simulation-only views): outputs and cycles
// are still checked.
//
// Backpressure (+backpressure=SEED, docs/HARDWARE.md §3 "with backpressure"): a xorshift32
// generator seeded with SEED drops in_valid at random cycles while inputs remain (driving random
// in_data and in_seq_start then) and out_ready at random cycles, each with probability
// +bp_in=PCT / +bp_out=PCT percent (default 33, at most 90). Every value is checked as without it.
// A stall is a cycle in which the core was ready and the testbench was not: in_ready && !in_valid
// (from the first input handshake on, while inputs remain) or out_valid && !out_ready. Each
// interval of the cycle contract must take its held-high figure plus exactly the stalls inside it
// (at most that, for a core that overlaps timesteps: QRNN_II < QRNN_LATENCY); the PASS line then
// ends with backpressure=SEED stalls_in=N stalls_out=M.
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
    integer in_step = 0;
    integer seq_steps = 0;
    integer values = 0;
    integer got_cycles = 0;
    integer pi = 0;
    integer failed = 0;
    integer next_starts_seq = 0;
    integer first_in = -1;
    integer rst_low = 0;
    // per timestep: the cycle of its first input handshake and the stalls before that cycle
    integer t_start [0:`QRNN_N_STEPS-1];
    integer t_stalls [0:`QRNN_N_STEPS-1];
    integer seq_first = 0;     // the first timestep of the sequence being output
    integer probed = -1;       // the last timestep whose state was probed
    integer nominal = 0;
    // backpressure (see the head of this file)
    integer bp_on = 0;
    integer bp_seed = 0;
    integer bp_in = 33;
    integer bp_out = 33;
    reg [31:0] bp_x = 32'd1;
    reg bp_drop_in = 1'b0;
    reg bp_drop_out = 1'b0;
    integer stalls_in = 0;     // stall cycles so far, through this edge
    integer stalls_out = 0;
    integer stalls_before = 0; // stall cycles before this edge

    // xorshift32 (Marsaglia): the same sequence on every simulator
    function [31:0] xorshift32(input [31:0] x);
        reg [31:0] y;
        begin
            y = x ^ (x << 13);
            y = y ^ (y >> 17);
            xorshift32 = y ^ (y << 5);
        end
    endfunction

    // The cycle contract of one interval (docs/HARDWARE.md §3): `got` cycles, `nom` with in_valid
    // and out_ready held high, `st` stall cycles inside it. A core that works on one timestep at a
    // time (II = LATENCY) takes exactly nom + st; one that overlaps timesteps takes nom without
    // backpressure and with it at most nom plus the stalls of the run so far (a stall can overlap
    // another timestep's work, and one before the interval can delay it).
    function interval_ok(input integer got, input integer nom, input integer st);
        begin
            if (bp_on != 0 && `QRNN_II < `QRNN_LATENCY) begin
                interval_ok = got >= nom && got <= nom + stalls_in + stalls_out;
            end else begin
                interval_ok = got == nom + st;
            end
        end
    endfunction
`ifdef QRNN_WEIGHT_LOADER
`include "tb_loader.vh"
`endif

    initial begin
        $readmemh("sim/stim.hex", stim);
        $readmemh("sim/expect_out.hex", expect_out);
`include "tb_readmem.vh"
        for (pi = 0; pi < `QRNN_N_STEPS; pi = pi + 1) begin
            t_start[pi] = 0;
            t_stalls[pi] = 0;
        end
        if ($value$plusargs("backpressure=%d", bp_seed)) begin
            bp_on = 1;
            if ($value$plusargs("bp_in=%d", bp_in)) begin end
            if ($value$plusargs("bp_out=%d", bp_out)) begin end
            if (bp_in < 0) bp_in = 0;
            if (bp_in > 90) bp_in = 90;
            if (bp_out < 0) bp_out = 0;
            if (bp_out > 90) bp_out = 90;
            bp_x = bp_seed ^ 32'h9e3779b9;
            if (bp_x == 32'd0) bp_x = 32'd1;
            bp_x = xorshift32(xorshift32(bp_x));
        end
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
            // ---- stalls: the core was ready at this edge and the testbench was not (§3)
            stalls_before = stalls_in + stalls_out;
            if (in_ready && !in_valid && first_in >= 0 && in_i < N_IN) begin
                stalls_in = stalls_in + 1;
            end
            if (out_valid && !out_ready) begin
                stalls_out = stalls_out + 1;
            end
            // ---- input side: a beat transferred at this edge if valid && ready before it
            if (in_valid && in_ready) begin
                if (first_in < 0) begin
                    first_in = cycle;
                end
                if (in_i % `QRNN_IN_LEN == 0) begin
                    in_step = in_i / `QRNN_IN_LEN;
                    t_start[in_step] = cycle;
                    t_stalls[in_step] = stalls_before;
                    // initiation interval: first input of a timestep to the next one's (§3)
                    if (in_step > 0 && !interval_ok(cycle - t_start[in_step - 1], `QRNN_II, stalls_before - t_stalls[in_step - 1])) begin
                        $display("FAIL cycles: timestep %0d started %0d cycles after the one before, %0d of them stalls, the compiler predicted an initiation interval of %0d (+ the stalls)", in_step, cycle - t_start[in_step - 1], stalls_before - t_stalls[in_step - 1], `QRNN_II);
                        failed = 1;
                    end
                end
                in_i = in_i + 1;
            end
            if (bp_on != 0) begin
                bp_x = xorshift32(bp_x);
                bp_drop_in = (bp_x % 32'd100) < bp_in;
                bp_x = xorshift32(bp_x);
                bp_drop_out = (bp_x % 32'd100) < bp_out;
            end
            if (in_i < N_IN && !bp_drop_in) begin
                in_valid <= 1'b1;
                in_data <= stim[in_i][`QRNN_WX-1:0];
                in_seq_start <= stim[in_i][`QRNN_WX];
            end else begin
                in_valid <= 1'b0;
                if (bp_on != 0) begin
                    // not valid: the core must not look at them
                    bp_x = xorshift32(bp_x);
                    in_data <= bp_x[`QRNN_WX-1:0];
                    in_seq_start <= bp_x[31];
                end
            end
            out_ready <= !bp_drop_out;
            // ---- output side: a timestep's state when its first output is offered (§2)
            if (out_valid && out_i % `QRNN_OUT_LEN == 0 && out_i / `QRNN_OUT_LEN != probed) begin
                step = out_i / `QRNN_OUT_LEN;
                probed = step;
`ifndef QRNN_NO_PROBES
`include "tb_probes.vh"
`endif
            end
            if (out_valid && out_ready) begin
                step = out_i / `QRNN_OUT_LEN;
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
                    // latency: first input of the timestep to its last output, both included (§3)
                    got_cycles = cycle - t_start[step] + 1;
                    if (!interval_ok(got_cycles, `QRNN_LATENCY, stalls_in + stalls_out - t_stalls[step])) begin
                        $display("FAIL cycles: step %0d took %0d cycles, %0d of them stalls, the compiler predicted %0d (+ the stalls)", step, got_cycles, stalls_in + stalls_out - t_stalls[step], `QRNN_LATENCY);
                        failed = 1;
                    end
                    if (stim[step * `QRNN_IN_LEN][`QRNN_WX]) begin
                        seq_first = step;
                    end
                    next_starts_seq = (step + 1 >= `QRNN_N_STEPS) ? 1 : stim[(step + 1) * `QRNN_IN_LEN][`QRNN_WX];
                    if (failed == 0 && next_starts_seq != 0) begin
                        seq_steps = step - seq_first + 1;
                        got_cycles = cycle - t_start[seq_first] + 1;
                        nominal = (seq_steps - 1) * `QRNN_II + `QRNN_LATENCY;
                        if (!interval_ok(got_cycles, nominal, stalls_in + stalls_out - t_stalls[seq_first])) begin
                            $display("FAIL cycles: sequence %0d took %0d cycles, %0d of them stalls, predicted (%0d - 1) x %0d + %0d (+ the stalls)", seq_i, got_cycles, stalls_in + stalls_out - t_stalls[seq_first], seq_steps, `QRNN_II, `QRNN_LATENCY);
                            failed = 1;
                        end
                        seq_i = seq_i + 1;
                    end
                end
                out_i = out_i + 1;
                if (failed == 0 && out_i == N_OUT) begin
                    if (bp_on != 0) begin
                        $display("PASS sequences=%0d timesteps=%0d values=%0d cycles=%0d cycles_per_step=%0d backpressure=%0d stalls_in=%0d stalls_out=%0d",
                                 `QRNN_N_SEQ, `QRNN_N_STEPS, values, cycle - first_in + 1, `QRNN_CYCLES_PER_STEP, bp_seed, stalls_in, stalls_out);
                    end else begin
                        $display("PASS sequences=%0d timesteps=%0d values=%0d cycles=%0d cycles_per_step=%0d",
                                 `QRNN_N_SEQ, `QRNN_N_STEPS, values, cycle - first_in + 1, `QRNN_CYCLES_PER_STEP);
                    end
                    $finish;
                end
            end
        end
        if (failed != 0) begin
            $finish;
        end
        // stall cycles do not count: a core that keeps stalling is still making progress
        if (cycle - stalls_in - stalls_out > TIMEOUT) begin
            $display("FAIL timeout: %0d of %0d outputs after %0d cycles, %0d of them stalls (in %0d of %0d inputs)", out_i, N_OUT, cycle, stalls_in + stalls_out, in_i, N_IN);
            $finish;
        end
    end
endmodule
