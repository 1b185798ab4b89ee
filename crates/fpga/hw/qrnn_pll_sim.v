// qrnn_pll_sim: the behavioural model of a board's PLL, for simulation only (docs/HARDWARE.md §7
// "Clocking"). A generated project's board/qrnn_pll.v instantiates it under `ifdef SIMULATION`
// instead of the family's PLL primitive (SB_PLL40_PAD/CORE, EHXPLLL, rPLL).
//
// Conventions: clk_in rising edge; `_q` registers.
// - clk_out is clk_in: in simulation the core clock is the board clock, so one simulated cycle is
//   one core cycle and the simulated board's CLK_HZ is the PLL's output frequency.
// - locked is low from power-up for LOCK_CYCLES rising edges of clk_in, then high for ever, as a
//   real PLL's LOCK rises some microseconds after configuration; the board top holds itself and
//   the core in reset until it is high.
module qrnn_pll_sim #(
    parameter LOCK_CYCLES = 64
) (
    input  wire clk_in,
    output wire clk_out,
    output wire locked
);
    localparam integer CW = $clog2(LOCK_CYCLES + 1);
    localparam [CW-1:0] LOCK_AT = LOCK_CYCLES[CW-1:0];

    reg [CW-1:0] cnt_q = {CW{1'b0}};

    always @(posedge clk_in) begin
        if (cnt_q != LOCK_AT) cnt_q <= cnt_q + 1'b1;
    end

    assign clk_out = clk_in;
    assign locked  = cnt_q == LOCK_AT;
endmodule
