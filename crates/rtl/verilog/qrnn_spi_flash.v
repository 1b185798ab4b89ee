// qrnn_spi_flash: a behavioural SPI NOR flash for simulation (hand-written, never synthesised).
//
// It models what the weight loader of docs/HARDWARE.md §4.3 relies on, and nothing more: SPI mode 0
// (the flash samples MOSI on the rising edge of SCK and shifts MISO out on the falling edge), the
// release-from-deep-power-down command 0xAB, the deep-power-down command 0xB9 and the read command
// 0x03 with a 24-bit address, read on for as many bytes as the host clocks. Like a flash after an
// iCE40 has configured from it, it starts in deep power-down: until it has seen 0xAB it ignores
// every command and leaves MISO high (a pulled-up, undriven line), so a loader that forgets the
// wake-up reads 0xFF bytes and rejects the image.
//
// Contents: FILE ($readmemh, one byte per line) holds the SIZE bytes from flash address BASE;
// addresses outside [BASE, BASE + SIZE) read 0xFF (erased flash).
`timescale 1ns/1ps
module qrnn_spi_flash #(
    parameter integer BASE = 0,
    parameter integer SIZE = 1,
    parameter FILE = "flash/weights.hex"
) (
    input  wire csn,
    input  wire sck,
    input  wire mosi,
    output reg  miso
);
    reg [7:0] mem [0:SIZE-1];
    reg powered_down;
    reg [31:0] sr;
    reg [7:0] cmd;
    reg [7:0] out_byte;
    integer nbits;
    integer addr;

    initial begin
        $readmemh(FILE, mem);
        powered_down = 1'b1;
        miso = 1'b1;
        nbits = 0;
        cmd = 8'h00;
        sr = 32'h0;
        addr = 0;
    end

    // a new command starts with every falling edge of chip select
    always @(negedge csn) begin
        nbits = 0;
        cmd = 8'h00;
    end

    // a command takes effect when chip select rises after exactly 8 bits
    always @(posedge csn) begin
        if (nbits == 8 && sr[7:0] == 8'hAB) powered_down = 1'b0;
        if (nbits == 8 && sr[7:0] == 8'hB9 && !powered_down) powered_down = 1'b1;
        miso = 1'b1;
    end

    always @(posedge sck) begin
        if (!csn) begin
            sr = {sr[30:0], mosi};
            nbits = nbits + 1;
            if (nbits == 8) cmd = sr[7:0];
            if (nbits == 32 && cmd == 8'h03) addr = sr[23:0];
        end
    end

    always @(negedge sck) begin
        if (!csn && !powered_down && cmd == 8'h03 && nbits >= 32) begin
            if ((nbits - 32) % 8 == 0) begin
                if (addr >= BASE && addr < BASE + SIZE) out_byte = mem[addr - BASE];
                else out_byte = 8'hFF;
                addr = addr + 1;
            end
            miso = out_byte[7 - (nbits - 32) % 8];
        end
    end
endmodule
