// TEST FIXTURE: testbench of the board top (crates/fpga/hw/qrnn_board_top.v) with the stand-in core
// (stub_core.v, whose parameters the QRNN_STUB_* macros must set to IN_LEN, OUT_LEN, WX, WY),
// driven by crates/link/tests/board_top_sim.rs.
//
// WEIGHT_LOADER = 1 needs the stand-in core built with QRNN_STUB_LOADER; FLASH_MISO is the level the
// testbench holds the flash's data line at (1: the stand-in core rejects its weights).
// LOCK_AFTER: the clock cycle at which the PLL's lock (pll_locked) rises; the board must ignore
// everything before it.
// +stim=FILE: one command a line, two hex numbers: `0 BB` sends byte BB on uart_rx (8N1, DIV clock
// cycles a bit); `3 BB` sends byte BB with a 0 stop bit (a framing error); `1 NNNN` leaves the line idle for NNNN bit times; `2 NNNN` waits until NNNN bytes
// in all have come back on uart_tx (at most WAIT_LIMIT cycles, else the run ends with an error).
// +out=FILE: every byte received on uart_tx, one hex byte a line; a stop bit of 0 writes `ferr`,
// a wait that runs out writes `wait_timeout`; the last line is `end`.
`timescale 1ns / 1ps
module board_tb;
    parameter        IN_LEN       = 3;
    parameter        OUT_LEN      = 2;
    parameter        WX           = 5;
    parameter        WY           = 12;
    parameter        DIV          = 16;
    parameter        TIMEOUT_BITS = 40;
    parameter [63:0] MODEL_ID     = 64'h0123456789ABCDEF;
    parameter        WEIGHT_LOADER = 0;
    parameter        FLASH_MISO   = 0;
    parameter        LOCK_AFTER   = 20;
    localparam       BAUD         = 100000;
    localparam       CLK_HZ       = BAUD * DIV;
    localparam       WAIT_LIMIT   = 2000000;

    reg        clk = 1'b0;
    reg        rx  = 1'b1;
    wire       tx;
    wire [3:0] led;
    wire       flash_csn, flash_sck, flash_mosi;

    always #5 clk = !clk;

    // the PLL's lock, rising at clock cycle LOCK_AFTER
    integer cycles = 0;
    reg     locked = 1'b0;
    always @(posedge clk) begin
        cycles <= cycles + 1;
        if (cycles + 1 >= LOCK_AFTER) locked <= 1'b1;
    end

    qrnn_board_top #(
        .CLK_HZ(CLK_HZ), .BAUD(BAUD), .IN_LEN(IN_LEN), .OUT_LEN(OUT_LEN), .WX(WX), .WY(WY),
        .MODEL_ID(MODEL_ID), .FRAME_TIMEOUT_BITS(TIMEOUT_BITS), .LED_COUNT(4),
        .WEIGHT_LOADER(WEIGHT_LOADER)
    ) dut (
        .clk(clk), .pll_locked(locked), .uart_rx(rx), .uart_tx(tx), .led(led), .btn_rst(1'b0),
        .flash_csn(flash_csn), .flash_sck(flash_sck), .flash_mosi(flash_mosi),
        .flash_miso(FLASH_MISO != 0)
    );

    integer fin, fout, op, arg, r, i, count, waited;
    reg [7:0] b;
    reg [1023:0] stim_path, out_path;

    task send_byte(input [7:0] d, input stop);
        integer k;
        begin
            rx = 1'b0;
            repeat (DIV) @(posedge clk);
            for (k = 0; k < 8; k = k + 1) begin
                rx = d[k];
                repeat (DIV) @(posedge clk);
            end
            rx = stop;
            repeat (DIV) @(posedge clk);
            rx = 1'b1;
        end
    endtask

    // Receiver of uart_tx: sample the middle of each bit.
    initial begin
        count = 0;
        forever begin
            @(negedge tx);
            repeat (DIV / 2) @(posedge clk);
            for (i = 0; i < 8; i = i + 1) begin
                repeat (DIV) @(posedge clk);
                b[i] = tx;
            end
            repeat (DIV) @(posedge clk);
            if (tx !== 1'b1) $fwrite(fout, "ferr\n");
            else $fwrite(fout, "%02x\n", b);
            count = count + 1;
        end
    end

    initial begin
        if (!$value$plusargs("stim=%s", stim_path) || !$value$plusargs("out=%s", out_path)) begin
            $display("board_tb: +stim=FILE +out=FILE needed");
            $finish;
        end
        fin  = $fopen(stim_path, "r");
        fout = $fopen(out_path, "w");
        repeat (100) @(posedge clk);
        while (!$feof(fin)) begin
            r = $fscanf(fin, "%h %h\n", op, arg);
            if (r == 2) begin
                if (op == 0 || op == 3) begin
                    send_byte(arg[7:0], op == 0);
                end else if (op == 1) begin
                    repeat (arg * DIV) @(posedge clk);
                end else begin
                    waited = 0;
                    while (count < arg && waited < WAIT_LIMIT) begin
                        @(posedge clk);
                        waited = waited + 1;
                    end
                    if (count < arg) begin
                        $fwrite(fout, "wait_timeout\n");
                        $fclose(fout);
                        $finish;
                    end
                end
            end
        end
        repeat (20 * DIV) @(posedge clk);
        $fwrite(fout, "end\n");
        $fclose(fout);
        $finish;
    end
endmodule
