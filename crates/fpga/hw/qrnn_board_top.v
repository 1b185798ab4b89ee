// qrnn_board_top: the board top. Wraps `qrnn_core` (docs/HARDWARE.md §1) with the framed UART
// protocol of docs/PROTOCOL.md and drives four status LEDs.
//
// Conventions: clk rising edge; `_q` registers, `_d` next state; one request at a time.
// Invariants:
// - A frame is acted on only after its CRC byte has been checked, its command is known and its
//   LEN is the command's; a STEP's elements are buffered (`xbuf_q`) and reach the core only then.
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
//   the feed state. Once load_err is high (the image was rejected) STEP and RESET, which need the core,
//   get ERROR 0x06 (WEIGHTS) instead; PING still answers. With WEIGHT_LOADER = 0 (a core without
//   those ports) the flash outputs are idle (csn high) and flash_miso is not read.
// LEDs (before LED_ACTIVE_LOW): led[0] heartbeat, led[1] a good frame (stretched), led[2] an
// error reply (stretched; steady while load_err is high), led[3] busy (inside a frame or a
// reply). Extra LEDs are off.
// Timing (docs/HARDWARE.md §7 "Board top timing"): the protocol decisions are short paths of
// registered flags, so that the board top is not what limits the core clock:
// - a received byte is acted on one cycle after the receiver's out_valid; in that cycle flags
//   registered from it (b_*_q: comparisons against constants, byte by byte, the CRC with the
//   byte, the CRC byte's verdict and ERROR code) stand for the wide comparisons, and LEN is
//   checked against the STEP length byte by byte (LEN_LO's flags, then LEN_HI's);
// - the controller's state is one-hot; the feed state's register (duplicated as in_valid_q) is
//   the core's in_valid and the wait state's its out_ready; the core's reset (crst_q), in_data
//   (element 0 of the shift register xbuf_q) and in_seq_start are registers too;
// - counters count down to a load of N - 2 and are read by their sign bit (negative at the N-th
//   step): no comparator (payload, reply and feed counts, frame timeout, LED stretch, the UART
//   bit timers); the frame timeout (quiet_q) and the frame abort (abort_q) are registered flags;
// - registers read only in a later state (the reply's kind rk_q and ERROR code, LEN's flags,
//   the core's output word) are written in every cycle of the state before, without a clock
//   enable made of the transition's condition; the next reply byte is staged in txb_q.
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
    // ERROR codes, 1-6: the reply's CODE byte is {5'b0, code}
    localparam [2:0] ERR_CRC = 3'd1, ERR_LENGTH = 3'd2, ERR_CMD = 3'd3, ERR_TIMEOUT = 3'd4,
                     ERR_FRAMING = 3'd5, ERR_WEIGHTS = 3'd6;
    localparam [7:0] VERSION = 8'h01;

    localparam integer BX        = (WX + 7) / 8;          // bytes per input element
    localparam integer BY        = (WY + 7) / 8;          // bytes per output element
    localparam integer STEP_LEN  = 1 + IN_LEN * BX;       // STEP payload: flag + elements
    localparam integer OUT_BYTES = OUT_LEN * BY;          // STEP reply payload
    localparam integer ID_LEN    = 21;                    // PING reply payload
    localparam integer DIV       = CLK_HZ / BAUD;
    localparam integer TO_CYCLES = FRAME_TIMEOUT_BITS * DIV;
    localparam integer MAX_REP   = OUT_BYTES > ID_LEN ? OUT_BYTES : ID_LEN;
    localparam integer HBW       = $clog2(CLK_HZ);        // heartbeat: MSB toggles every ~0.5-1 s
    localparam integer SW        = $clog2(CLK_HZ / 8 + 1); // LED stretch: ~1/8-1/4 s
    // Widths of the down counters below: each has one bit more, its sign (see "Timing")
    localparam integer TW        = $clog2(TO_CYCLES + 1); // frame timeout, in clock cycles
    localparam integer LW        = $clog2(STEP_LEN + 1);  // payload bytes still to come
    localparam integer RW        = $clog2(MAX_REP + 1);   // reply payload bytes still to send
    localparam integer FW        = $clog2(IN_LEN + 1);    // input elements still to feed
    localparam integer BW        = $clog2(BX + 1);
    localparam integer OW        = $clog2(BY + 1);

    // down-counter loads: a counter loaded with N - 2 turns negative at its N-th step
    localparam integer IDLE_LOAD = TO_CYCLES - 2;
    localparam integer LED_LOAD  = (1 << SW) - 3;
    localparam integer FEED_LOAD = IN_LEN - 2;
    localparam integer ERR_LOAD  = 2 - 2;                 // ERROR payload: CODE, CMD
    localparam integer ID_LOAD   = ID_LEN - 2;
    localparam integer OUT_LOAD  = OUT_BYTES - 2;

    localparam [15:0] STEP_LEN16  = STEP_LEN[15:0];
    localparam [15:0] OUT_BYTES16 = OUT_BYTES[15:0];
    localparam [15:0] ID_LEN16    = ID_LEN[15:0];
    localparam [15:0] IN_LEN16    = IN_LEN[15:0];
    localparam [15:0] OUT_LEN16   = OUT_LEN[15:0];
    localparam [15:0] TO_BITS16   = FRAME_TIMEOUT_BITS[15:0];
    localparam [7:0]  WX8         = WX[7:0];
    localparam [7:0]  WY8         = WY[7:0];

    // the reply being sent: ERROR, or the reply to PING, RESET or STEP (whose CMD is 0x80 | kind)
    localparam [1:0] RK_ERR = 2'd0, RK_PING = 2'd1, RK_RESET = 2'd2, RK_STEP = 2'd3;

    // ---- reset: the synchronised PLL lock, a power-on counter and the synchronised button ----
    // rst_q is the board's reset; crst_q the core's (the board's, or a RESET request). Both are
    // registers, computed from the next values of the counter and the synchroniser, so rst_q is
    // high exactly while the lock's second synchroniser flop is low, for the 15 cycles after it
    // rises, and while the button's (second) synchroniser flop is high.
    reg [3:0] por_q = 4'd0;
    reg       lock1_q = 1'b0, lock2_q = 1'b0;
    reg       btn1_q = 1'b0;
    reg       rst_q = 1'b1, crst_q = 1'b1;
    reg       reset_req_q;
    wire      rst_d = !(lock2_q && por_q[3:1] == 3'b111) || btn1_q;

    always @(posedge clk) begin
        lock1_q <= pll_locked;
        lock2_q <= lock1_q;
        btn1_q  <= BTN_ACTIVE_LOW != 0 ? !btn_rst : btn_rst;
        if (!lock2_q) por_q <= 4'd0;
        else if (!(&por_q)) por_q <= por_q + 4'd1;
        rst_q  <= rst_d;
        crst_q <= rst_d || reset_req_q;
    end

    // ---- UART ----
    wire       rx_valid, rx_ferr;
    wire [7:0] rx_data;
    reg        txv_q;
    reg  [7:0] txb_q;
    wire       tx_ready;
    wire       tx_fire = txv_q && tx_ready;

    qrnn_uart_rx #(.CLK_HZ(CLK_HZ), .BAUD(BAUD)) u_rx (
        .clk(clk), .rst(rst_q), .rx(uart_rx),
        .out_valid(rx_valid), .out_data(rx_data), .out_frame_err(rx_ferr)
    );
    qrnn_uart_tx #(.CLK_HZ(CLK_HZ), .BAUD(BAUD)) u_tx (
        .clk(clk), .rst(rst_q), .in_valid(txv_q), .in_ready(tx_ready), .in_data(txb_q),
        .tx(uart_tx)
    );

    // ---- state ----
    // The controller's state, one-hot: waiting for a SYNC (hunt), inside a request frame (cmd,
    // len0, len1, pay, crc: its CMD, LEN_LO, LEN_HI, PAYLOAD, CRC byte), feeding a STEP's elements
    // to the core (feed, which is the core's in_valid), sending a reply's header (hdr), waiting for
    // the core's next output element (wait, the core's out_ready), sending the reply's payload
    // (txpay) and CRC (txcrc), and ignoring input until the line is quiet (disc).
    reg                 st_hunt_q, st_cmd_q, st_len0_q, st_len1_q, st_pay_q, st_crc_q;
    reg                 st_feed_q, st_hdr_q, st_wait_q, st_txpay_q, st_txcrc_q, st_disc_q;
    // st_feed_q's copy, the core's in_valid: a register of its own that the placer can put by
    // the core's input logic (keep: yosys would merge the two)
    (* keep *) reg      in_valid_q;
    reg  [7:0]          cmd_q, crc_rx_q, crc_tx_q, len_lo_q;
    reg  [1:0]          cmd_kind_q;                       // RK_* of a known command
    reg                 lo_zero_q, lo_eq_q, lo_gt_q, len_ok_q;
    reg                 abort_q, abort_to_q;
    reg  [2:0]          err_code_q;
    reg                 discard_q;
    reg  [1:0]          rk_q, hdr_q;
    reg  [LW:0]         pay_rem_q;
    reg                 first_q, flag_q, push_q;
    reg  [8*BX-1:0]     acc_q;
    reg  [BW-1:0]       bsel_q;
    reg  [IN_LEN*WX-1:0] xbuf_q;                          // element 0 lowest
    reg                 seq_pending_q, seq_start_q;
    reg  [FW:0]         feed_rem_q;
    reg  [8*BY-1:0]     out_word_q;
    reg  [OW-1:0]       obyte_q;
    reg  [4:0]          tx_idx_q;
    reg  [RW:0]         tx_rem_q;
    reg  [TW:0]         idle_q;
    reg                 quiet_q;
    reg                 ok_ev_q, err_ev_q;
    reg  [HBW-1:0]      hb_q = {HBW{1'b0}};

    wire [7:0] crc_rx_next, crc_tx_next;
    qrnn_crc8 u_crc_rx (.crc_in(crc_rx_q), .data(rx_data), .crc_out(crc_rx_next));
    qrnn_crc8 u_crc_tx (.crc_in(crc_tx_q), .data(txb_q), .crc_out(crc_tx_next));

    // Only slices of these are used, and out_last is implied by OUT_LEN.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [8*BX+7:0]       acc_cat   = {rx_data, acc_q};
    wire [16:0]           len_m2    = {1'b0, rx_data, len_lo_q} - 17'd2;
    wire [IN_LEN*WX+WX-1:0] xbuf_cat = {acc_q[WX-1:0], xbuf_q};
    /* verilator lint_on UNUSEDSIGNAL */
    wire [8*BX-1:0]   acc_next  = acc_cat[8*BX+7:8];      // little endian: first byte ends lowest
    wire [BW-1:0]     bx_last   = BX[BW-1:0] - 1'b1;
    wire [OW-1:0]     by_last   = BY[OW-1:0] - 1'b1;
    wire              in_frame  = st_cmd_q || st_len0_q || st_len1_q || st_pay_q || st_crc_q;
    wire              tx_state  = st_hdr_q || st_txpay_q || st_txcrc_q;

    // ---- a received byte's flags, registered the cycle after the receiver's out_valid ----
    // The receiver holds out_data until the next byte's first data bit (1.5 bit times at least),
    // so the controller, one cycle later, still reads the byte on rx_data. These flags are worked
    // out every cycle from rx_data and from registers that the frame's earlier bytes set long
    // before; the controller uses them in the cycle of b_ok_q, when they are the byte's.
    // Comparisons are against constants, byte by byte.
    reg        b_ok_q, b_ferr_q;
    reg        b_sync_q;                                  // as SYNC
    reg        b_lo_zero_q, b_lo_eq_q, b_lo_gt_q;        // as LEN_LO
    reg        b_len_zero_q, b_len_step_q, b_len_gt_q;   // as LEN_HI, with LEN_LO's flags
    reg [LW:0] b_len_m2_q;                                // as LEN_HI: LEN - 2
    reg [1:0]  b_kind_q;                                  // as CMD: RK_* (RK_ERR: unknown)
    reg [7:0]  b_crc_q;                                   // the CRC with this byte
    reg        b_bad_q;                                   // as CRC: the frame is refused ...
    reg [2:0]  b_code_q;                                  // ... with this ERROR code

    always @(posedge clk) begin
        b_ok_q       <= rx_valid && !rx_ferr;
        b_ferr_q     <= rx_valid && rx_ferr;
        b_sync_q     <= rx_data == SYNC_REQ;
        b_kind_q     <= rx_data == CMD_PING  ? RK_PING :
                        rx_data == CMD_RESET ? RK_RESET :
                        rx_data == CMD_STEP  ? RK_STEP : RK_ERR;
        b_lo_zero_q  <= rx_data == 8'h00;
        b_lo_eq_q    <= rx_data == STEP_LEN16[7:0];
        b_lo_gt_q    <= rx_data > STEP_LEN16[7:0];
        b_len_zero_q <= rx_data == 8'h00 && lo_zero_q;
        b_len_step_q <= rx_data == STEP_LEN16[15:8] && lo_eq_q;
        b_len_gt_q   <= rx_data > STEP_LEN16[15:8] || (rx_data == STEP_LEN16[15:8] && lo_gt_q);
        b_len_m2_q   <= len_m2[LW:0];
        b_crc_q      <= crc_rx_next;
        // the checks in the order of docs/PROTOCOL.md §5: CRC, CMD, LEN; then the weights
        b_bad_q      <= rx_data != crc_rx_q || cmd_kind_q == RK_ERR || !len_ok_q ||
                        (cmd_kind_q != RK_PING && core_load_err);
        b_code_q     <= rx_data != crc_rx_q ? ERR_CRC : cmd_kind_q == RK_ERR ? ERR_CMD :
                        !len_ok_q ? ERR_LENGTH : ERR_WEIGHTS;
    end

    // ---- the frame timeout: quiet_q after TO_CYCLES cycles without a received byte ----
    // A down counter without a comparator: reloaded by every byte, it turns negative (its top bit)
    // TO_CYCLES cycles later and goes on counting; quiet_q holds until the next byte.
    always @(posedge clk) begin
        if (rst_q || rx_valid) idle_q <= IDLE_LOAD[TW:0];
        else idle_q <= idle_q - 1'b1;
        quiet_q <= !rst_q && !rx_valid && (quiet_q || idle_q[TW]);
    end

    // A frame in progress timed out (quiet_q) or a byte had no stop bit (b_ferr_q): abort_q, one
    // cycle later, drops the frame (abort_to_q: it timed out; both at once count as a timeout).
    // Neither cause comes with a good byte (b_ok_q), so the frame has not moved in between; a
    // good byte in abort_q's cycle itself is ignored (okf).
    always @(posedge clk) begin
        if (rst_q) abort_q <= 1'b0;
        else abort_q <= in_frame && (quiet_q || b_ferr_q) && !abort_q;
        abort_to_q <= quiet_q;
    end
    wire okf = b_ok_q && !abort_q;                        // a good byte, the frame not aborted

    // ---- the core ----
    wire          core_in_ready, core_out_valid;
    /* verilator lint_off UNUSEDSIGNAL */
    wire          core_out_last;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [WY-1:0] core_out_data;
    wire [WX-1:0] core_in_data = xbuf_q[WX-1:0];
    wire          core_load_err;
    wire          feed_fire = st_feed_q && core_in_ready;

    // Two instantiations, one per kind of core: only the chosen one is elaborated, so a core
    // without the loader ports never sees them connected. Verilator checks the pins of both
    // branches before it drops the one not taken, hence its waivers here.
    /* verilator lint_off PINNOTFOUND */
    /* verilator lint_off PINMISSING */
    generate
        if (WEIGHT_LOADER != 0) begin : g_core
            qrnn_core u_core (
                .clk(clk), .rst(crst_q),
                .in_valid(in_valid_q), .in_ready(core_in_ready), .in_data(core_in_data),
                .in_seq_start(seq_start_q),
                .out_valid(core_out_valid), .out_ready(st_wait_q), .out_data(core_out_data),
                .out_last(core_out_last),
                .flash_csn(flash_csn), .flash_sck(flash_sck), .flash_mosi(flash_mosi),
                .flash_miso(flash_miso), .load_err(core_load_err)
            );
        end else begin : g_core
            qrnn_core u_core (
                .clk(clk), .rst(crst_q),
                .in_valid(in_valid_q), .in_ready(core_in_ready), .in_data(core_in_data),
                .in_seq_start(seq_start_q),
                .out_valid(core_out_valid), .out_ready(st_wait_q), .out_data(core_out_data),
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

    // ---- the controller's state ----
    wire fire     = tx_fire;
    wire hdr_end  = st_hdr_q && fire && hdr_q == 2'd3;
    wire last_b   = tx_rem_q[RW];                         // the payload byte sent is the last
    wire elem_end = rk_q == RK_STEP && obyte_q == by_last;
    wire feed_end = feed_fire && feed_rem_q[FW];
    // Refused at once: LEN longer than any request (len1); at the CRC byte: a failed check
    // (crc); the core rejected its weights (feed).
    wire len_err  = st_len1_q && okf && b_len_gt_q;
    wire crc_err  = st_crc_q && okf && b_bad_q;
    wire crc_good = st_crc_q && okf && !b_bad_q;
    wire feed_err = st_feed_q && core_load_err;

    always @(posedge clk) begin
        if (rst_q) begin
            st_hunt_q  <= 1'b1;
            st_cmd_q   <= 1'b0;
            st_len0_q  <= 1'b0;
            st_len1_q  <= 1'b0;
            st_pay_q   <= 1'b0;
            st_crc_q   <= 1'b0;
            st_feed_q  <= 1'b0;
            in_valid_q <= 1'b0;
            st_hdr_q   <= 1'b0;
            st_wait_q  <= 1'b0;
            st_txpay_q <= 1'b0;
            st_txcrc_q <= 1'b0;
            st_disc_q  <= 1'b0;
        end else begin
            st_hunt_q  <= (st_hunt_q && !(b_ok_q && b_sync_q)) ||
                          (st_txcrc_q && fire && !discard_q) || (st_disc_q && quiet_q);
            st_cmd_q   <= (st_hunt_q && b_ok_q && b_sync_q) || (st_cmd_q && !b_ok_q && !abort_q);
            st_len0_q  <= (st_cmd_q && okf) || (st_len0_q && !b_ok_q && !abort_q);
            st_len1_q  <= (st_len0_q && okf) || (st_len1_q && !b_ok_q && !abort_q);
            st_pay_q   <= (st_len1_q && okf && !b_len_gt_q && !b_len_zero_q) ||
                          (st_pay_q && !(b_ok_q && pay_rem_q[LW]) && !abort_q);
            st_crc_q   <= (st_len1_q && okf && !b_len_gt_q && b_len_zero_q) ||
                          (st_pay_q && okf && pay_rem_q[LW]) ||
                          (st_crc_q && !b_ok_q && !abort_q);
            st_feed_q  <= (crc_good && cmd_kind_q == RK_STEP) ||
                          (st_feed_q && !core_load_err && !feed_end);
            in_valid_q <= (crc_good && cmd_kind_q == RK_STEP) ||
                          (in_valid_q && !core_load_err && !(core_in_ready && feed_rem_q[FW]));
            st_hdr_q   <= abort_q || len_err || crc_err || (crc_good && cmd_kind_q != RK_STEP) ||
                          feed_err || feed_end || (st_hdr_q && !hdr_end);
            st_wait_q  <= (hdr_end && rk_q == RK_STEP) ||
                          (st_txpay_q && fire && !last_b && elem_end) ||
                          (st_wait_q && !core_out_valid);
            st_txpay_q <= (hdr_end && (rk_q == RK_ERR || rk_q == RK_PING)) ||
                          (st_wait_q && core_out_valid) ||
                          (st_txpay_q && !(fire && (last_b || elem_end)));
            st_txcrc_q <= (hdr_end && rk_q == RK_RESET) || (st_txpay_q && fire && last_b) ||
                          (st_txcrc_q && !fire);
            st_disc_q  <= (st_txcrc_q && fire && discard_q) || (st_disc_q && !quiet_q);
        end
    end

    // ---- the request: its CMD, LEN and CRC, the STEP's flag and elements ----
    // Registers that only a later state reads are written in every cycle of their own state: the
    // last write is the byte's (b_ok_q), when the state moves on.
    always @(posedge clk) begin
        if (st_hunt_q) begin
            crc_rx_q <= 8'h00;
            cmd_q    <= 8'h00;                            // an ERROR before CMD names 0x00
        end else if (b_ok_q) begin
            crc_rx_q <= b_crc_q;                          // (past the frame: unused until hunt)
            if (st_cmd_q) cmd_q <= rx_data;
        end
        if (st_cmd_q) cmd_kind_q <= b_kind_q;
        if (st_len0_q) begin
            len_lo_q  <= rx_data;
            lo_zero_q <= b_lo_zero_q;
            lo_eq_q   <= b_lo_eq_q;
            lo_gt_q   <= b_lo_gt_q;
        end
        if (st_len1_q) begin
            len_ok_q  <= cmd_kind_q == RK_STEP ? b_len_step_q : b_len_zero_q;
            pay_rem_q <= b_len_m2_q;
            first_q   <= 1'b1;
            bsel_q    <= {BW{1'b0}};
        end
        push_q <= 1'b0;
        if (st_pay_q && b_ok_q) begin
            pay_rem_q <= pay_rem_q - 1'b1;
            first_q   <= 1'b0;
            if (first_q) begin
                flag_q <= rx_data[0];
            end else begin
                // an element's bytes into acc_q; its last one pushes it into xbuf_q
                acc_q  <= acc_next;
                bsel_q <= bsel_q == bx_last ? {BW{1'b0}} : bsel_q + 1'b1;
                push_q <= cmd_kind_q == RK_STEP && bsel_q == bx_last;
            end
        end
    end

    // The input elements: a shift register, filled from the top, fed to the core from element 0.
    always @(posedge clk) begin
        if (push_q || feed_fire) xbuf_q <= xbuf_cat[IN_LEN*WX+WX-1:WX];
    end

    // ---- executing a request ----
    always @(posedge clk) begin
        reset_req_q <= 1'b0;
        ok_ev_q     <= crc_good;
        err_ev_q    <= abort_q || len_err || crc_err || feed_err;
        if (rst_q) begin
            seq_pending_q <= 1'b1;
            seq_start_q   <= 1'b0;
        end else if (crc_good && cmd_kind_q == RK_RESET) begin
            reset_req_q   <= 1'b1;
            seq_pending_q <= 1'b1;
        end else if (crc_good && cmd_kind_q == RK_STEP) begin
            seq_start_q   <= flag_q || seq_pending_q;
            seq_pending_q <= 1'b0;
        end
        if (st_crc_q) feed_rem_q <= FEED_LOAD[FW:0];
        else if (feed_fire) feed_rem_q <= feed_rem_q - 1'b1;
        // The reply's kind and ERROR code, written in every cycle before the reply (they are
        // read only while it is sent): the last write, when the state moves to hdr, is the one.
        if (!tx_state && !st_wait_q) begin
            if (st_feed_q)
                rk_q <= core_load_err ? RK_ERR : RK_STEP;
            else
                rk_q <= st_crc_q && !abort_q && !b_bad_q ? cmd_kind_q : RK_ERR;
            err_code_q <= abort_q ? (abort_to_q ? ERR_TIMEOUT : ERR_FRAMING) :
                          st_len1_q ? ERR_LENGTH : st_crc_q ? b_code_q : ERR_WEIGHTS;
        end
        discard_q <= rk_q == RK_ERR && err_code_q != ERR_TIMEOUT;
    end

    // ---- the ID (PING reply payload) ----
    reg [7:0] id_byte;
    always @* begin
        case (tx_idx_q)
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

    // ---- the reply's header, from its kind ----
    reg [15:0]  rep_len;
    reg [RW:0]  rep_load;
    always @* begin
        case (rk_q)
            RK_ERR:   begin rep_len = 16'd2;       rep_load = ERR_LOAD[RW:0]; end
            RK_PING:  begin rep_len = ID_LEN16;    rep_load = ID_LOAD[RW:0];  end
            RK_RESET: begin rep_len = 16'd0;       rep_load = ERR_LOAD[RW:0]; end
            default:  begin rep_len = OUT_BYTES16; rep_load = OUT_LOAD[RW:0]; end
        endcase
    end
    wire [7:0] rep_cmd = rk_q == RK_ERR ? REP_ERROR : {6'b100000, rk_q};

    // ---- sending the reply: the next byte is staged in txb_q while txv_q is low ----
    reg [7:0] tx_byte;
    always @* begin
        if (st_hdr_q) begin
            case (hdr_q)
                2'd0:    tx_byte = SYNC_REP;
                2'd1:    tx_byte = rep_cmd;
                2'd2:    tx_byte = rep_len[7:0];
                default: tx_byte = rep_len[15:8];
            endcase
        end else if (st_txpay_q) begin
            if (rk_q == RK_ERR)
                tx_byte = tx_idx_q[0] ? cmd_q : {5'b00000, err_code_q};
            else if (rk_q == RK_PING)
                tx_byte = id_byte;
            else
                tx_byte = out_word_q[8*obyte_q +: 8];
        end else begin
            tx_byte = crc_tx_q;                           // txcrc
        end
    end

    always @(posedge clk) begin
        if (!txv_q) txb_q <= tx_byte;
        if (rst_q) txv_q <= 1'b0;
        else if (tx_fire) txv_q <= 1'b0;
        else if (tx_state) txv_q <= 1'b1;

        if (rst_q) hdr_q <= 2'd0;
        else if (st_hdr_q && fire) hdr_q <= hdr_q + 2'd1;   // back to 0 after the header
        if (fire) begin
            // the CRC covers the header from CMD on and the payload (after txcrc: unused)
            crc_tx_q <= st_hdr_q && hdr_q == 2'd0 ? 8'h00 : crc_tx_next;
            tx_idx_q <= st_hdr_q ? 5'd0 : tx_idx_q + 5'd1;
            tx_rem_q <= st_hdr_q ? rep_load : tx_rem_q - 1'b1;
        end
        if (st_wait_q) begin
            out_word_q <= out_ext;                        // the last write: when out_valid
            obyte_q    <= {OW{1'b0}};
        end else if (st_txpay_q && fire) begin
            obyte_q    <= obyte_q == by_last ? {OW{1'b0}} : obyte_q + 1'b1;
        end
    end

    // ---- LEDs ----
    // A good frame (ok_ev_q) or an ERROR reply (err_ev_q) lights its LED for LED_LOAD + 2 cycles:
    // a down counter, loaded by the event, and a flag that its sign clears.
    reg [SW:0] ok_cnt_q, err_cnt_q;
    reg        ok_on_q, err_on_q;
    always @(posedge clk) begin
        hb_q      <= hb_q + 1'b1;
        ok_cnt_q  <= ok_ev_q ? LED_LOAD[SW:0] : ok_cnt_q - 1'b1;
        err_cnt_q <= err_ev_q ? LED_LOAD[SW:0] : err_cnt_q - 1'b1;
        ok_on_q   <= !rst_q && (ok_ev_q || (ok_on_q && !ok_cnt_q[SW]));
        err_on_q  <= !rst_q && (err_ev_q || (err_on_q && !err_cnt_q[SW]));
    end

    // boards with fewer than four LEDs show only the first LED_COUNT status bits
    /* verilator lint_off UNUSEDSIGNAL */
    wire [3:0] status = {!st_hunt_q, err_on_q || core_load_err, ok_on_q, hb_q[HBW-1]};
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
