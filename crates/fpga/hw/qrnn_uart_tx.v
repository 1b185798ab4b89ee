// qrnn_uart_tx: 8N1 UART transmitter (docs/PROTOCOL.md §1).
//
// Conventions: clk rising edge; rst synchronous, active high; `_q` registers, `_d` next state.
// A byte is taken when `in_valid && in_ready` at a clock edge; `in_ready` is low from the next
// cycle until the stop bit has been sent. The line idles high; start bit 0, data LSB first, stop
// bit 1, each DIV = CLK_HZ / BAUD clock cycles long (DIV at least 2).
// Timing: the bit timer is a down counter, reloaded when it turns negative (its top bit, a
// register): no comparator and no clock enable on it.
module qrnn_uart_tx #(
    parameter CLK_HZ = 12000000,
    parameter BAUD   = 115200
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       in_valid,
    output wire       in_ready,
    input  wire [7:0] in_data,
    output wire       tx
);
    localparam integer DIV      = CLK_HZ / BAUD;
    localparam integer CW       = $clog2(DIV + 1);
    // loaded with DIV - 2, the counter is negative in the DIV-th cycle after the load
    localparam integer BIT_LOAD = DIV - 2;

    reg           busy_q;
    reg  [9:0]    shift_q;   // {stop, data[7:0], start}, sent LSB first
    reg  [3:0]    bit_q;
    reg  [CW:0]   cnt_q;

    wire          tick = cnt_q[CW];                       // the end of this bit

    always @(posedge clk) begin
        if (!busy_q || tick) cnt_q <= BIT_LOAD[CW:0];
        else cnt_q <= cnt_q - 1'b1;
    end

    always @(posedge clk) begin
        if (rst) begin
            busy_q  <= 1'b0;
            shift_q <= 10'h3ff;
            bit_q   <= 4'd0;
        end else if (!busy_q) begin
            if (in_valid) begin
                busy_q  <= 1'b1;
                shift_q <= {1'b1, in_data, 1'b0};
                bit_q   <= 4'd0;
            end
        end else if (tick) begin
            shift_q <= {1'b1, shift_q[9:1]};
            bit_q   <= bit_q + 4'd1;
            if (bit_q == 4'd9) busy_q <= 1'b0;
        end
    end

    assign in_ready = !busy_q;
    assign tx       = shift_q[0];
endmodule
