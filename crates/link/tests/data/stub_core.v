// TEST FIXTURE, not hardware: a hand-written stand-in for the generated `qrnn_core`
// (docs/HARDWARE.md §1 interface) used by crates/link/tests/board_top_sim.rs to test the board top
// without a generated design. Its function (mirrored by `stub_model` in that test):
//   s    = sum of the timestep's IN_LEN inputs (WX-bit two's complement; a 1-bit input is +1/-1)
//   acc  = (in_seq_start of the first element ? 0 : acc) + s          (32-bit, wrapping)
//   y[j] = acc + j, truncated to WY bits, for j = 0 .. OUT_LEN-1 (a 1-bit output is its low bit)
// `rst` clears acc. The board top instantiates qrnn_core without parameters (the generated core
// has none), so the test sets these with the macros QRNN_STUB_IN_LEN, _OUT_LEN, _WX and _WY.
// With QRNN_STUB_LOADER defined it also has the weight loader's ports (docs/HARDWARE.md §4.3) and
// a stand-in for the load: for QRNN_STUB_LOAD_CYCLES cycles after `rst` it holds flash_csn low,
// toggles flash_sck, keeps in_ready low and ORs flash_miso into an error flag; at the end
// load_err = that flag (so a testbench that ties flash_miso high gets a rejected image) and, if
// it is 0, the core runs. load_err stays until the next `rst`, which loads again.
/* verilator lint_off DECLFILENAME */
`ifndef QRNN_STUB_IN_LEN
`define QRNN_STUB_IN_LEN 3
`endif
`ifndef QRNN_STUB_OUT_LEN
`define QRNN_STUB_OUT_LEN 2
`endif
`ifndef QRNN_STUB_WX
`define QRNN_STUB_WX 5
`endif
`ifndef QRNN_STUB_WY
`define QRNN_STUB_WY 12
`endif
`ifndef QRNN_STUB_LOAD_CYCLES
`define QRNN_STUB_LOAD_CYCLES 2000
`endif
module qrnn_core #(
    parameter IN_LEN  = `QRNN_STUB_IN_LEN,
    parameter OUT_LEN = `QRNN_STUB_OUT_LEN,
    parameter WX      = `QRNN_STUB_WX,
    parameter WY      = `QRNN_STUB_WY
) (
    input  wire          clk,
    input  wire          rst,
    input  wire          in_valid,
    output wire          in_ready,
    input  wire [WX-1:0] in_data,
    input  wire          in_seq_start,
    output wire          out_valid,
    input  wire          out_ready,
    output wire [WY-1:0] out_data,
`ifdef QRNN_STUB_LOADER
    output wire          out_last,
    output wire          flash_csn,
    output wire          flash_sck,
    output wire          flash_mosi,
    input  wire          flash_miso,
    output wire          load_err
`else
    output wire          out_last
`endif
);
`ifdef QRNN_STUB_LOADER
    reg [31:0] load_cnt_q;
    reg        bad_q, sck_q;
    wire       loading = load_cnt_q != 32'd0;
    always @(posedge clk) begin
        if (rst) begin
            load_cnt_q <= `QRNN_STUB_LOAD_CYCLES;
            bad_q      <= 1'b0;
            sck_q      <= 1'b0;
        end else if (loading) begin
            load_cnt_q <= load_cnt_q - 32'd1;
            bad_q      <= bad_q | flash_miso;
            sck_q      <= !sck_q;
        end
    end
    assign flash_csn  = !loading;
    assign flash_sck  = sck_q;
    assign flash_mosi = 1'b0;
    assign load_err   = !loading && bad_q;
    wire   ready      = !loading && !bad_q;
`else
    wire   ready      = 1'b1;
`endif
    reg        busy_q;      // 0: taking inputs, 1: giving outputs
    reg [31:0] acc_q, sum_q;
    reg [15:0] idx_q;
    wire [31:0] x = WX == 1 ? (in_data[0] ? 32'd1 : 32'hffffffff)
                            : {{(32 - WX){in_data[WX-1]}}, in_data};
    wire        first = idx_q == 16'd0;
    wire [31:0] base  = (first && in_seq_start) ? 32'd0 : acc_q;
    wire [31:0] part  = first ? 32'd0 : sum_q;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] y     = acc_q + {16'd0, idx_q};  // only y[WY-1:0] leaves
    /* verilator lint_on UNUSEDSIGNAL */

    always @(posedge clk) begin
        if (rst) begin
            busy_q <= 1'b0;
            acc_q  <= 32'd0;
            sum_q  <= 32'd0;
            idx_q  <= 16'd0;
        end else if (!busy_q) begin
            if (in_valid && ready) begin
                if (first) acc_q <= base;
                sum_q <= part + x;
                if (idx_q == IN_LEN - 1) begin
                    acc_q  <= base + part + x;
                    idx_q  <= 16'd0;
                    busy_q <= 1'b1;
                end else begin
                    idx_q <= idx_q + 16'd1;
                end
            end
        end else if (out_ready) begin
            if (idx_q == OUT_LEN - 1) begin
                idx_q  <= 16'd0;
                busy_q <= 1'b0;
            end else begin
                idx_q <= idx_q + 16'd1;
            end
        end
    end

    assign in_ready  = !busy_q && ready;
    assign out_valid = busy_q;
    assign out_data  = y[WY-1:0];
    assign out_last  = busy_q && idx_q == OUT_LEN - 1;
endmodule
