// qrnn_uart_tx: 8N1 UART transmitter (docs/PROTOCOL.md §1).
//
// Conventions: clk rising edge; rst synchronous, active high; `_q` registers, `_d` next state.
// A byte is taken when `in_valid && in_ready` at a clock edge; `in_ready` is low from the next
// cycle until the stop bit has been sent. The line idles high; start bit 0, data LSB first, stop
// bit 1, each DIV = CLK_HZ / BAUD clock cycles long.
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
    localparam integer DIV    = CLK_HZ / BAUD;
    localparam integer CW     = $clog2(DIV + 1);
    localparam integer DIV_M1 = DIV - 1;

    reg           busy_q;
    reg  [9:0]    shift_q;   // {stop, data[7:0], start}, sent LSB first
    reg  [3:0]    bit_q;
    reg  [CW-1:0] cnt_q;

    wire [CW-1:0] div_m1 = DIV_M1[CW-1:0];

    always @(posedge clk) begin
        if (rst) begin
            busy_q  <= 1'b0;
            shift_q <= 10'h3ff;
            bit_q   <= 4'd0;
            cnt_q   <= {CW{1'b0}};
        end else if (!busy_q) begin
            if (in_valid) begin
                busy_q  <= 1'b1;
                shift_q <= {1'b1, in_data, 1'b0};
                bit_q   <= 4'd0;
                cnt_q   <= {CW{1'b0}};
            end
        end else if (cnt_q == div_m1) begin
            cnt_q   <= {CW{1'b0}};
            shift_q <= {1'b1, shift_q[9:1]};
            bit_q   <= bit_q + 4'd1;
            if (bit_q == 4'd9) busy_q <= 1'b0;
        end else begin
            cnt_q <= cnt_q + 1'b1;
        end
    end

    assign in_ready = !busy_q;
    assign tx       = shift_q[0];
endmodule
