// MULT9X9 and MULT18X18 (Gowin): simulation models of the one configuration yosys `synth_gowin`
// maps products to (techmap gowin/dsp_map.v): every register bypassed (AREG = BREG = OUT_REG =
// PIPE_REG = ASIGN_REG = BSIGN_REG = SOA_REG = 0), CLK/CE/RESET tied low, ASEL = BSEL = 0,
// signedness from the ASIGN/BSIGN pins; DOUT = A * B. yosys ships these cells as blackboxes only
// (gowin/cells_xtra_*.v), so the post-synthesis simulation of crates/sim/tests/post_synth.rs brings
// these (hand-written, simulation only). Any other configuration stops the simulation with an
// error instead of simulating it wrongly.
`timescale 1ns/1ps
module MULT9X9 #(
    parameter AREG = 1'b0, parameter BREG = 1'b0, parameter OUT_REG = 1'b0,
    parameter PIPE_REG = 1'b0, parameter ASIGN_REG = 1'b0, parameter BSIGN_REG = 1'b0,
    parameter SOA_REG = 1'b0, parameter MULT_RESET_MODE = "SYNC"
) (
    input  [8:0]  A, SIA,
    input  [8:0]  B, SIB,
    input         ASIGN, BSIGN, ASEL, BSEL, CE, CLK, RESET,
    output [17:0] DOUT,
    output [8:0]  SOA, SOB
);
    wire [17:0] ax = {{9{ASIGN & A[8]}}, A};
    wire [17:0] bx = {{9{BSIGN & B[8]}}, B};
    assign DOUT = ax * bx;
    assign SOA = A;
    assign SOB = B;
    initial begin
        if (AREG || BREG || OUT_REG || PIPE_REG || ASIGN_REG || BSIGN_REG || SOA_REG) begin
            $display("FAIL model: MULT9X9 %m uses registers this model does not simulate");
            $finish;
        end
    end
endmodule

module MULT18X18 #(
    parameter AREG = 1'b0, parameter BREG = 1'b0, parameter OUT_REG = 1'b0,
    parameter PIPE_REG = 1'b0, parameter ASIGN_REG = 1'b0, parameter BSIGN_REG = 1'b0,
    parameter SOA_REG = 1'b0, parameter MULT_RESET_MODE = "SYNC"
) (
    input  [17:0] A, SIA,
    input  [17:0] B, SIB,
    input         ASIGN, BSIGN, ASEL, BSEL, CE, CLK, RESET,
    output [35:0] DOUT,
    output [17:0] SOA, SOB
);
    wire [35:0] ax = {{18{ASIGN & A[17]}}, A};
    wire [35:0] bx = {{18{BSIGN & B[17]}}, B};
    assign DOUT = ax * bx;
    assign SOA = A;
    assign SOB = B;
    initial begin
        if (AREG || BREG || OUT_REG || PIPE_REG || ASIGN_REG || BSIGN_REG || SOA_REG) begin
            $display("FAIL model: MULT18X18 %m uses registers this model does not simulate");
            $finish;
        end
    end
endmodule
