// qrnn_crc8: one byte of CRC-8, polynomial x^8 + x^2 + x + 1 (0x07), MSB first, no reflection
// (docs/PROTOCOL.md §3). Combinational: crc_out = CRC register after shifting in `data`, starting
// from `crc_in`. A frame's CRC starts at 0x00 and has no final XOR (CRC-8/SMBUS; "123456789" -> 0xF4).
module qrnn_crc8 (
    input  wire [7:0] crc_in,
    input  wire [7:0] data,
    output wire [7:0] crc_out
);
    reg [7:0] c;
    integer   i;

    always @* begin
        c = crc_in ^ data;
        for (i = 0; i < 8; i = i + 1)
            c = c[7] ? ({c[6:0], 1'b0} ^ 8'h07) : {c[6:0], 1'b0};
    end

    assign crc_out = c;
endmodule
