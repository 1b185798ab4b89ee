// qrnn_board_top: the board top. Wraps `qrnn_core` (docs/HARDWARE.md §1) with the framed UART
// protocol of docs/PROTOCOL.md and drives four status LEDs.
//
// Conventions: clk rising edge; `_q` registers, `_d` next state; one request at a time.
// Invariants:
// - A frame is acted on only after its CRC byte has been checked, its command is known and its
//   LEN is the command's; a STEP's elements are buffered (`xbuf`) and reach the core only then.
//   Every other frame gets an ERROR reply and changes nothing.
// - A frame in progress that sees no complete byte for FRAME_TIMEOUT_BITS bit times is dropped
//   with an ERROR TIMEOUT reply. After any other error the board ignores input until the line has
//   been quiet for FRAME_TIMEOUT_BITS bit times, so the rest of a bad frame is never parsed.
// - Bytes that arrive while a request is executed or its reply is sent are ignored.
// - clk is the core clock, from the board's PLL (docs/HARDWARE.md §7 "Clocking"); CLK_HZ is its
//   frequency. The board and the core are held in reset while the PLL's pll_locked is low (it is
//   synchronised to clk first: a PLL's LOCK is not timed to its output clock), and for 15 cycles
//   after it rises; losing lock resets them again.
// - Power-on (and btn_rst) reset the board and the core; RESET resets the core and makes the
//   next STEP start a sequence (in_seq_start = 1) whatever its flag.
// - WEIGHT_LOADER = 1 is for a core whose weights sit in SPRAM (docs/HARDWARE.md §4.3): such a core
//   has the ports flash_csn, flash_sck, flash_mosi, flash_miso (SPI master, wired to the board's
//   flash) and load_err. While it loads its weights it holds in_ready low, so a STEP waits in
//   S_FEED. Once load_err is high (the image was rejected) STEP and RESET, which need the core,
//   get ERROR 0x06 (WEIGHTS) instead; PING still answers. With WEIGHT_LOADER = 0 (a core without
//   those ports) the flash outputs are idle (csn high) and flash_miso is not read.
// LEDs (before LED_ACTIVE_LOW): led[0] heartbeat, led[1] a good frame (stretched), led[2] an
// error reply (stretched; steady while load_err is high), led[3] busy (inside a frame or a
// reply). Extra LEDs are off.
module qrnn_board_top #(
    parameter        CLK_HZ             = 12000000,
    parameter        BAUD               = 115200,
    parameter        IN_LEN             = 1,
    parameter        OUT_LEN            = 1,
    parameter        WX                 = 8,
    parameter        WY                 = 8,
    parameter [63:0] MODEL_ID           = 64'h0,
    parameter        FRAME_TIMEOUT_BITS = 2304,
    parameter        LED_COUNT          = 4,
    parameter        LED_ACTIVE_LOW     = 0,
    parameter        BTN_ACTIVE_LOW     = 0,
    parameter        WEIGHT_LOADER      = 0
) (
    input  wire                 clk,
    input  wire                 pll_locked,
    input  wire                 uart_rx,
    output wire                 uart_tx,
    output wire [LED_COUNT-1:0] led,
    input  wire                 btn_rst,
    // the board's SPI flash, used only with WEIGHT_LOADER = 1
    output wire                 flash_csn,
    output wire                 flash_sck,
    output wire                 flash_mosi,
    input  wire                 flash_miso
);
    // ---- protocol constants (docs/PROTOCOL.md) ----
    localparam [7:0] SYNC_REQ = 8'hA5, SYNC_REP = 8'h5A;
    localparam [7:0] CMD_PING = 8'h01, CMD_RESET = 8'h02, CMD_STEP = 8'h03;
    localparam [7:0] REP_ERROR = 8'hFF;
    localparam [7:0] ERR_CRC = 8'h01, ERR_LENGTH = 8'h02, ERR_CMD = 8'h03, ERR_TIMEOUT = 8'h04,
                     ERR_FRAMING = 8'h05, ERR_WEIGHTS = 8'h06;
    localparam [7:0] VERSION = 8'h01;

    localparam integer BX        = (WX + 7) / 8;          // bytes per input element
    localparam integer BY        = (WY + 7) / 8;          // bytes per output element
    localparam integer STEP_LEN  = 1 + IN_LEN * BX;       // STEP payload: flag + elements
    localparam integer OUT_BYTES = OUT_LEN * BY;          // STEP reply payload
    localparam integer ID_LEN    = 21;                    // PING reply payload
    localparam integer DIV       = CLK_HZ / BAUD;
    localparam integer TO_CYCLES = FRAME_TIMEOUT_BITS * DIV;
    localparam integer TW        = $clog2(TO_CYCLES + 1);
    localparam integer IW        = IN_LEN > 1 ? $clog2(IN_LEN) : 1; // xbuf index
    localparam integer BW        = $clog2(BX + 1);
    localparam integer OW        = $clog2(BY + 1);
    localparam integer HBW       = $clog2(CLK_HZ);        // heartbeat: MSB toggles every ~0.5-1 s
    localparam integer SW        = $clog2(CLK_HZ / 8 + 1); // LED stretch: ~1/8-1/4 s

    localparam [15:0] STEP_LEN16  = STEP_LEN[15:0];
    localparam [15:0] OUT_BYTES16 = OUT_BYTES[15:0];
    localparam [15:0] ID_LEN16    = ID_LEN[15:0];
    localparam [15:0] IN_LEN16    = IN_LEN[15:0];
    localparam [15:0] OUT_LEN16   = OUT_LEN[15:0];
    localparam [15:0] TO_BITS16   = FRAME_TIMEOUT_BITS[15:0];
    localparam [7:0]  WX8         = WX[7:0];
    localparam [7:0]  WY8         = WY[7:0];

    localparam [3:0] S_HUNT = 4'd0, S_CMD = 4'd1, S_LEN0 = 4'd2, S_LEN1 = 4'd3, S_PAY = 4'd4,
                     S_CRC = 4'd5, S_FEED = 4'd6, S_HDR = 4'd7, S_WAITOUT = 4'd8,
                     S_TXPAY = 4'd9, S_TXCRC = 4'd10, S_DISCARD = 4'd11;

    // ---- reset: the synchronised PLL lock, a power-on counter and the synchronised button ----
    reg [3:0] por_q = 4'd0;
    reg       lock1_q = 1'b0, lock2_q = 1'b0;
    reg       btn1_q = 1'b0, btn2_q = 1'b0;
    wire      rst = !(&por_q) || btn2_q;

    always @(posedge clk) begin
        lock1_q <= pll_locked;
        lock2_q <= lock1_q;
        btn1_q  <= BTN_ACTIVE_LOW != 0 ? !btn_rst : btn_rst;
        btn2_q  <= btn1_q;
        if (!lock2_q) por_q <= 4'd0;
        else if (!(&por_q)) por_q <= por_q + 4'd1;
    end

    // ---- UART ----
    wire       rx_valid, rx_ferr;
    wire [7:0] rx_data;
    reg        tx_valid;
    reg  [7:0] tx_byte;
    wire       tx_ready;
    wire       tx_fire = tx_valid && tx_ready;

    qrnn_uart_rx #(.CLK_HZ(CLK_HZ), .BAUD(BAUD)) u_rx (
        .clk(clk), .rst(rst), .rx(uart_rx),
        .out_valid(rx_valid), .out_data(rx_data), .out_frame_err(rx_ferr)
    );
    qrnn_uart_tx #(.CLK_HZ(CLK_HZ), .BAUD(BAUD)) u_tx (
        .clk(clk), .rst(rst), .in_valid(tx_valid), .in_ready(tx_ready), .in_data(tx_byte),
        .tx(uart_tx)
    );

    // ---- state ----
    reg  [3:0]      state_q;
    reg  [7:0]      cmd_q, crc_rx_q, crc_tx_q, rcmd_q, err_code_q, err_cmd_q;
    reg  [7:0]      len_lo_q;
    reg  [15:0]     len_q, cnt_q, rlen_q, tx_idx_q;
    reg  [1:0]      hdr_q;
    reg  [8*BX-1:0] acc_q;
    reg  [BW-1:0]   bsel_q;
    reg  [IW-1:0]   eidx_q, feed_idx_q;
    reg  [WX-1:0]   xbuf [0:IN_LEN-1];
    reg             seq_pending_q, seq_start_q, core_rst_q, discard_q;
    reg  [8*BY-1:0] out_word_q;
    reg  [OW-1:0]   obyte_q;
    reg  [TW-1:0]   idle_q;
    reg  [HBW-1:0]  hb_q = {HBW{1'b0}};
    reg  [SW-1:0]   ok_led_q, err_led_q;

    wire [7:0] crc_rx_next, crc_tx_next;
    qrnn_crc8 u_crc_rx (.crc_in(crc_rx_q), .data(rx_data), .crc_out(crc_rx_next));
    qrnn_crc8 u_crc_tx (.crc_in(crc_tx_q), .data(tx_byte), .crc_out(crc_tx_next));

    wire [TW-1:0]     to_cycles = TO_CYCLES[TW-1:0];
    wire              quiet     = idle_q >= to_cycles;
    wire              rx_ok     = rx_valid && !rx_ferr;
    // Only slices of acc_cat, out_cat and acc_next are used, and out_last is implied by OUT_LEN.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [8*BX+7:0]   acc_cat   = {rx_data, acc_q};
    wire [8*BX-1:0]   acc_next  = acc_cat[8*BX+7:8];      // little endian: first byte ends lowest
    /* verilator lint_on UNUSEDSIGNAL */
    wire [15:0]       len_next  = {rx_data, len_lo_q};
    wire [IW-1:0]     in_last   = IN_LEN[IW-1:0] - 1'b1;
    wire [BW-1:0]     bx_last   = BX[BW-1:0] - 1'b1;
    wire [OW-1:0]     by_last   = BY[OW-1:0] - 1'b1;
    wire              in_frame  = state_q == S_CMD || state_q == S_LEN0 || state_q == S_LEN1 ||
                                  state_q == S_PAY || state_q == S_CRC;

    // ---- the core ----
    wire          core_in_ready, core_out_valid;
    /* verilator lint_off UNUSEDSIGNAL */
    wire          core_out_last;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [WY-1:0] core_out_data;
    wire          core_in_valid  = state_q == S_FEED;
    wire          core_out_ready = state_q == S_WAITOUT;

    wire          core_load_err;

    // Two instantiations, one per kind of core: only the chosen one is elaborated, so a core
    // without the loader ports never sees them connected. Verilator checks the pins of both
    // branches before it drops the one not taken, hence its waivers here.
    /* verilator lint_off PINNOTFOUND */
    /* verilator lint_off PINMISSING */
    generate
        if (WEIGHT_LOADER != 0) begin : g_core
            qrnn_core u_core (
                .clk(clk), .rst(rst || core_rst_q),
                .in_valid(core_in_valid), .in_ready(core_in_ready), .in_data(xbuf[feed_idx_q]),
                .in_seq_start(seq_start_q),
                .out_valid(core_out_valid), .out_ready(core_out_ready), .out_data(core_out_data),
                .out_last(core_out_last),
                .flash_csn(flash_csn), .flash_sck(flash_sck), .flash_mosi(flash_mosi),
                .flash_miso(flash_miso), .load_err(core_load_err)
            );
        end else begin : g_core
            qrnn_core u_core (
                .clk(clk), .rst(rst || core_rst_q),
                .in_valid(core_in_valid), .in_ready(core_in_ready), .in_data(xbuf[feed_idx_q]),
                .in_seq_start(seq_start_q),
                .out_valid(core_out_valid), .out_ready(core_out_ready), .out_data(core_out_data),
                .out_last(core_out_last)
            );
            assign flash_csn     = 1'b1;
            assign flash_sck     = 1'b0;
            assign flash_mosi    = 1'b0;
            assign core_load_err = 1'b0;
            /* verilator lint_off UNUSEDSIGNAL */
            wire unused_miso = flash_miso;
            /* verilator lint_on UNUSEDSIGNAL */
        end
    endgenerate
    /* verilator lint_on PINMISSING */
    /* verilator lint_on PINNOTFOUND */

    // Output element to bytes: sign-extended two's complement; a 1-bit format is its raw bit.
    wire              out_sign = WY > 1 ? core_out_data[WY-1] : 1'b0;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [8*BY+WY-1:0] out_cat = {{(8*BY){out_sign}}, core_out_data};
    /* verilator lint_on UNUSEDSIGNAL */
    wire [8*BY-1:0]   out_ext  = out_cat[8*BY-1:0];

    // ---- the ID (PING reply payload) ----
    reg [7:0] id_byte;
    always @* begin
        case (tx_idx_q[4:0])
            5'd0:    id_byte = 8'h51;                 // 'Q'
            5'd1:    id_byte = 8'h52;                 // 'R'
            5'd2:    id_byte = 8'h4E;                 // 'N'
            5'd3:    id_byte = 8'h4E;                 // 'N'
            5'd4:    id_byte = VERSION;
            5'd5:    id_byte = MODEL_ID[63:56];
            5'd6:    id_byte = MODEL_ID[55:48];
            5'd7:    id_byte = MODEL_ID[47:40];
            5'd8:    id_byte = MODEL_ID[39:32];
            5'd9:    id_byte = MODEL_ID[31:24];
            5'd10:   id_byte = MODEL_ID[23:16];
            5'd11:   id_byte = MODEL_ID[15:8];
            5'd12:   id_byte = MODEL_ID[7:0];
            5'd13:   id_byte = IN_LEN16[7:0];
            5'd14:   id_byte = IN_LEN16[15:8];
            5'd15:   id_byte = OUT_LEN16[7:0];
            5'd16:   id_byte = OUT_LEN16[15:8];
            5'd17:   id_byte = WX8;
            5'd18:   id_byte = WY8;
            5'd19:   id_byte = TO_BITS16[7:0];
            default: id_byte = TO_BITS16[15:8];
        endcase
    end

    // ---- the byte to send ----
    always @* begin
        tx_valid = 1'b0;
        tx_byte  = 8'h00;
        case (state_q)
            S_HDR: begin
                tx_valid = 1'b1;
                case (hdr_q)
                    2'd0:    tx_byte = SYNC_REP;
                    2'd1:    tx_byte = rcmd_q;
                    2'd2:    tx_byte = rlen_q[7:0];
                    default: tx_byte = rlen_q[15:8];
                endcase
            end
            S_TXPAY: begin
                tx_valid = 1'b1;
                if (rcmd_q == REP_ERROR)
                    tx_byte = tx_idx_q[0] ? err_cmd_q : err_code_q;
                else if (rcmd_q == (CMD_PING | 8'h80))
                    tx_byte = id_byte;
                else
                    tx_byte = out_word_q[8*obyte_q +: 8];
            end
            S_TXCRC: begin
                tx_valid = 1'b1;
                tx_byte  = crc_tx_q;
            end
            default: ;
        endcase
    end

    // ---- the controller ----
    always @(posedge clk) begin
        if (rst) begin
            state_q       <= S_HUNT;
            cmd_q         <= 8'h00;
            crc_rx_q      <= 8'h00;
            crc_tx_q      <= 8'h00;
            rcmd_q        <= 8'h00;
            err_code_q    <= 8'h00;
            err_cmd_q     <= 8'h00;
            len_lo_q      <= 8'h00;
            len_q         <= 16'h0;
            cnt_q         <= 16'h0;
            rlen_q        <= 16'h0;
            tx_idx_q      <= 16'h0;
            hdr_q         <= 2'd0;
            acc_q         <= {(8*BX){1'b0}};
            bsel_q        <= {BW{1'b0}};
            eidx_q        <= {IW{1'b0}};
            feed_idx_q    <= {IW{1'b0}};
            seq_pending_q <= 1'b1;
            seq_start_q   <= 1'b0;
            core_rst_q    <= 1'b0;
            discard_q     <= 1'b0;
            out_word_q    <= {(8*BY){1'b0}};
            obyte_q       <= {OW{1'b0}};
            idle_q        <= {TW{1'b0}};
            ok_led_q      <= {SW{1'b0}};
            err_led_q     <= {SW{1'b0}};
        end else begin
            core_rst_q <= 1'b0;
            if (ok_led_q != {SW{1'b0}}) ok_led_q <= ok_led_q - 1'b1;
            if (err_led_q != {SW{1'b0}}) err_led_q <= err_led_q - 1'b1;
            if (rx_valid) idle_q <= {TW{1'b0}};
            else if (!quiet) idle_q <= idle_q + 1'b1;

            if (in_frame && (quiet || (rx_valid && rx_ferr))) begin
                // A frame in progress timed out or a byte had no stop bit: drop the frame.
                err_code_q <= quiet ? ERR_TIMEOUT : ERR_FRAMING;
                err_cmd_q  <= cmd_q;
                discard_q  <= !quiet;
                rcmd_q     <= REP_ERROR;
                rlen_q     <= 16'd2;
                hdr_q      <= 2'd0;
                crc_tx_q   <= 8'h00;
                err_led_q  <= {SW{1'b1}};
                state_q    <= S_HDR;
            end else begin
                case (state_q)
                    S_HUNT: if (rx_ok && rx_data == SYNC_REQ) begin
                        crc_rx_q <= 8'h00;
                        cmd_q    <= 8'h00;
                        state_q  <= S_CMD;
                    end
                    S_CMD: if (rx_ok) begin
                        cmd_q    <= rx_data;
                        crc_rx_q <= crc_rx_next;
                        state_q  <= S_LEN0;
                    end
                    S_LEN0: if (rx_ok) begin
                        len_lo_q <= rx_data;
                        crc_rx_q <= crc_rx_next;
                        state_q  <= S_LEN1;
                    end
                    S_LEN1: if (rx_ok) begin
                        len_q    <= len_next;
                        crc_rx_q <= crc_rx_next;
                        cnt_q    <= 16'h0;
                        bsel_q   <= {BW{1'b0}};
                        eidx_q   <= {IW{1'b0}};
                        if (len_next > STEP_LEN16) begin
                            // Longer than any request: reject now, skip the rest of it.
                            err_code_q <= ERR_LENGTH;
                            err_cmd_q  <= cmd_q;
                            discard_q  <= 1'b1;
                            rcmd_q     <= REP_ERROR;
                            rlen_q     <= 16'd2;
                            hdr_q      <= 2'd0;
                            crc_tx_q   <= 8'h00;
                            err_led_q  <= {SW{1'b1}};
                            state_q    <= S_HDR;
                        end else begin
                            state_q <= len_next == 16'h0 ? S_CRC : S_PAY;
                        end
                    end
                    S_PAY: if (rx_ok) begin
                        crc_rx_q <= crc_rx_next;
                        cnt_q    <= cnt_q + 16'd1;
                        if (cmd_q == CMD_STEP) begin
                            if (cnt_q == 16'h0) begin
                                seq_start_q <= rx_data[0];
                            end else begin
                                acc_q <= acc_next;
                                if (bsel_q == bx_last) begin
                                    xbuf[eidx_q] <= acc_next[WX-1:0];
                                    eidx_q       <= eidx_q + 1'b1;
                                    bsel_q       <= {BW{1'b0}};
                                end else begin
                                    bsel_q <= bsel_q + 1'b1;
                                end
                            end
                        end
                        if (cnt_q == len_q - 16'd1) state_q <= S_CRC;
                    end
                    S_CRC: if (rx_ok) begin
                        hdr_q    <= 2'd0;
                        crc_tx_q <= 8'h00;
                        if (rx_data != crc_rx_q || (cmd_q != CMD_PING && cmd_q != CMD_RESET &&
                                cmd_q != CMD_STEP) ||
                                len_q != (cmd_q == CMD_STEP ? STEP_LEN16 : 16'h0)) begin
                            err_code_q <= rx_data != crc_rx_q ? ERR_CRC :
                                          (cmd_q != CMD_PING && cmd_q != CMD_RESET &&
                                           cmd_q != CMD_STEP) ? ERR_CMD : ERR_LENGTH;
                            err_cmd_q  <= cmd_q;
                            discard_q  <= 1'b1;
                            rcmd_q     <= REP_ERROR;
                            rlen_q     <= 16'd2;
                            err_led_q  <= {SW{1'b1}};
                            state_q    <= S_HDR;
                        end else if (cmd_q != CMD_PING && core_load_err) begin
                            // A good frame that needs the core, which rejected its weights.
                            err_code_q <= ERR_WEIGHTS;
                            err_cmd_q  <= cmd_q;
                            discard_q  <= 1'b1;
                            rcmd_q     <= REP_ERROR;
                            rlen_q     <= 16'd2;
                            err_led_q  <= {SW{1'b1}};
                            state_q    <= S_HDR;
                        end else begin
                            ok_led_q <= {SW{1'b1}};
                            rcmd_q   <= cmd_q | 8'h80;
                            if (cmd_q == CMD_PING) begin
                                rlen_q  <= ID_LEN16;
                                state_q <= S_HDR;
                            end else if (cmd_q == CMD_RESET) begin
                                core_rst_q    <= 1'b1;
                                seq_pending_q <= 1'b1;
                                rlen_q        <= 16'h0;
                                state_q       <= S_HDR;
                            end else begin
                                seq_start_q   <= seq_start_q || seq_pending_q;
                                seq_pending_q <= 1'b0;
                                feed_idx_q    <= {IW{1'b0}};
                                rlen_q        <= OUT_BYTES16;
                                state_q       <= S_FEED;
                            end
                        end
                    end
                    S_FEED: if (core_load_err) begin
                        // The STEP came while the core loaded its weights, and it rejected them:
                        // no element was taken (in_ready stayed low), so refuse the STEP.
                        err_code_q <= ERR_WEIGHTS;
                        err_cmd_q  <= cmd_q;
                        discard_q  <= 1'b1;
                        rcmd_q     <= REP_ERROR;
                        rlen_q     <= 16'd2;
                        err_led_q  <= {SW{1'b1}};
                        state_q    <= S_HDR;
                    end else if (core_in_ready) begin
                        feed_idx_q <= feed_idx_q + 1'b1;
                        if (feed_idx_q == in_last) state_q <= S_HDR;
                    end
                    S_HDR: if (tx_fire) begin
                        crc_tx_q <= hdr_q == 2'd0 ? 8'h00 : crc_tx_next;
                        hdr_q    <= hdr_q + 2'd1;
                        tx_idx_q <= 16'h0;
                        if (hdr_q == 2'd3)
                            state_q <= rlen_q == 16'h0 ? S_TXCRC :
                                       rcmd_q == (CMD_STEP | 8'h80) ? S_WAITOUT : S_TXPAY;
                    end
                    S_WAITOUT: if (core_out_valid) begin
                        out_word_q <= out_ext;
                        obyte_q    <= {OW{1'b0}};
                        state_q    <= S_TXPAY;
                    end
                    S_TXPAY: if (tx_fire) begin
                        crc_tx_q <= crc_tx_next;
                        tx_idx_q <= tx_idx_q + 16'd1;
                        obyte_q  <= obyte_q == by_last ? {OW{1'b0}} : obyte_q + 1'b1;
                        if (tx_idx_q == rlen_q - 16'd1)
                            state_q <= S_TXCRC;
                        else if (rcmd_q == (CMD_STEP | 8'h80) && obyte_q == by_last)
                            state_q <= S_WAITOUT;
                    end
                    S_TXCRC: if (tx_fire) begin
                        discard_q <= 1'b0;
                        state_q   <= discard_q ? S_DISCARD : S_HUNT;
                    end
                    default: if (quiet) state_q <= S_HUNT; // S_DISCARD
                endcase
            end
        end
    end

    // ---- LEDs ----
    always @(posedge clk) hb_q <= hb_q + 1'b1;

    // boards with fewer than four LEDs show only the first LED_COUNT status bits
    /* verilator lint_off UNUSEDSIGNAL */
    wire [3:0] status = {state_q != S_HUNT, err_led_q != {SW{1'b0}} || core_load_err,
                         ok_led_q != {SW{1'b0}}, hb_q[HBW-1]};
    /* verilator lint_on UNUSEDSIGNAL */
    genvar g;
    generate
        for (g = 0; g < LED_COUNT; g = g + 1) begin : g_led
            if (g < 4) begin : g_on
                assign led[g] = status[g] ^ (LED_ACTIVE_LOW != 0);
            end else begin : g_off
                assign led[g] = LED_ACTIVE_LOW != 0;
            end
        end
    endgenerate
endmodule
