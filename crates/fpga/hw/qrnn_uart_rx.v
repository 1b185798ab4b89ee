// qrnn_uart_rx: 8N1 UART receiver (docs/PROTOCOL.md §1).
//
// Conventions: clk rising edge; rst synchronous, active high; `_q` registers, `_d` next state.
// The line goes through a two-flop synchroniser; a falling edge starts a byte, the start bit is
// checked again half a bit later (a shorter low pulse is a glitch and ignored), then each data bit
// (LSB first) and the stop bit are sampled in the middle of their bit time, DIV = CLK_HZ / BAUD
// clock cycles apart. `out_valid` pulses for one cycle after the middle of the stop bit, with the
// byte on `out_data` and `out_frame_err` = 1 if the stop bit read 0. `out_data` and
// `out_frame_err` then hold until the next byte's first data bit is sampled (1.5 bit times after
// its start bit begins, so at least 1.5 bit times after `out_valid`). DIV must be at least 4.
// Timing: the bit timer is a down counter, reloaded when it turns negative (its top bit, a
// register): no comparator and no clock enable on it.
module qrnn_uart_rx #(
    parameter CLK_HZ = 12000000,
    parameter BAUD   = 115200
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       rx,
    output wire       out_valid,
    output wire [7:0] out_data,
    output wire       out_frame_err
);
    localparam integer DIV       = CLK_HZ / BAUD;
    localparam integer CW        = $clog2(DIV + 1);
    // loaded with N - 2, the counter is negative in the N-th cycle after the load
    localparam integer BIT_LOAD  = DIV - 2;               // a bit time
    localparam integer HALF_LOAD = DIV / 2 - 2;           // half a bit time (to the start bit's middle)
    localparam integer BIT_FROM  = BIT_LOAD + 1;
    localparam integer HALF_FROM = HALF_LOAD + 1;

    localparam [1:0] S_IDLE = 2'd0, S_START = 2'd1, S_DATA = 2'd2, S_STOP = 2'd3;

    reg          sync1_q, sync2_q;
    reg  [1:0]   state_q;
    reg  [CW:0]  cnt_q;
    reg  [2:0]   bit_q;
    reg  [7:0]   shift_q;
    reg          valid_q, ferr_q;

    wire         tick = cnt_q[CW];                        // the sampling point of this bit

    always @(posedge clk) begin
        if (rst) begin
            sync1_q <= 1'b1;
            sync2_q <= 1'b1;
        end else begin
            sync1_q <= rx;
            sync2_q <= sync1_q;
        end
    end

    // the reload chooses what the decrement starts from, so that the decrement's carry chain
    // keeps its sum LUTs (a multiplexer after it would take their place and split the chain)
    wire [CW:0]  cnt_from = state_q == S_IDLE ? HALF_FROM[CW:0] : tick ? BIT_FROM[CW:0] : cnt_q;

    always @(posedge clk) cnt_q <= cnt_from - 1'b1;

    always @(posedge clk) begin
        if (rst) begin
            state_q <= S_IDLE;
            bit_q   <= 3'd0;
            shift_q <= 8'd0;
            valid_q <= 1'b0;
            ferr_q  <= 1'b0;
        end else begin
            valid_q <= 1'b0;
            case (state_q)
                S_IDLE: if (!sync2_q) state_q <= S_START;
                S_START: if (tick) begin
                    bit_q   <= 3'd0;
                    state_q <= sync2_q ? S_IDLE : S_DATA;
                end
                S_DATA: if (tick) begin
                    shift_q <= {sync2_q, shift_q[7:1]};
                    bit_q   <= bit_q + 3'd1;
                    if (bit_q == 3'd7) state_q <= S_STOP;
                end
                default: if (tick) begin // S_STOP
                    valid_q <= 1'b1;
                    ferr_q  <= !sync2_q;
                    state_q <= S_IDLE;
                end
            endcase
        end
    end

    assign out_valid     = valid_q;
    assign out_data      = shift_q;
    assign out_frame_err = ferr_q;
endmodule
