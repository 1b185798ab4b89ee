// uart_pty.cpp: a simulated board behind a pseudo-terminal. The C++ main of a Verilator build of a
// generated board project's `qrnn_top` (board/qrnn_top.v + hw/*.v + rtl/*.v; `make sim-board`).
//
// It opens a pty, prints one line `PTY /dev/pts/N` on stdout, and simulates the board: bytes a host
// writes to /dev/pts/N are shifted into `uart_rx` by a UART transmitter model (8N1, CLK_HZ/BAUD
// clock cycles per bit, the board top's own integer division), and a UART receiver model samples
// `uart_tx` in the middle of each bit and writes the bytes it receives back to the host. A host
// talks to it as to a board on a serial port (`qrnn-hw run MODEL --port /dev/pts/N`, or
// `qrnn_link::serial::SerialLink`); the protocol is docs/PROTOCOL.md.
//
// Time. Simulated time is what the board sees; the host lives in wall-clock time. The bridge keeps
// two rules so that the board's frame timeout and quiet time mean what they mean on real hardware:
// - while anything is in flight (a byte shifting in or out, bytes waiting, or less than CAP cycles
//   since the last byte either way, CAP = (TIMEOUT_BITS + 64) bit times) it simulates at full
//   speed, so a frame cut short gets its ERROR TIMEOUT reply without any further input;
// - a byte that arrives after a pause of the host starts at least min(pause, CAP) of simulated
//   time after the previous byte, so a host that waits out the quiet time after an ERROR reply in
//   wall-clock time has waited it out in simulated time too, however slow the simulation is.
// Past CAP idle cycles the board is in its steady state (hunting, quiet counter saturated), so the
// bridge stops simulating and blocks in poll() on the pty (20 ms steps): idle costs no CPU.
// A core that loads its weights from flash (docs/HARDWARE.md §4.3) is busy for LOAD_CYCLES after
// start-up and after every RESET (a STEP waits for it in the board top), so CAP includes them: the
// load runs at full speed, and a STEP sent during it is answered without further input.
//
// It exits with status 0 on SIGTERM, SIGINT or SIGHUP, and after `+idle_exit_s=N` seconds (default
// 60; 0 = never) without a byte in either direction, so a crashed test never leaves it running.
//
// Clock. The bridge drives qrnn_top's `clk`, the board clock; the board's PLL is simulated by its
// behavioural model (Verilator runs with -DSIMULATION), which passes that clock through, so one
// simulated cycle is one core cycle and QRNN_CLK_HZ is the core clock (the PLL's frequency, the
// board top's CLK_HZ), not the crystal's.
//
// Compile-time settings (the project's Makefile passes them with -CFLAGS; run-time plusargs
// override the first four): QRNN_CLK_HZ (+clk_hz=), QRNN_BAUD (+baud=), QRNN_TIMEOUT_BITS
// (+timeout_bits=, the board top's FRAME_TIMEOUT_BITS), QRNN_LOAD_CYCLES (+load_cycles=, the
// weight load's cycles, 0 without one), QRNN_BTN (1: qrnn_top has a btn_rst port),
// QRNN_BTN_ACTIVE_LOW (its level when pressed; the bridge holds it released). `+trace` logs every
// byte on stderr. Run it in the project directory: the core reads its ROMs from rtl/rom/ (and a
// simulated flash its weight image from flash/).

#include "Vqrnn_top.h"
#include "verilated.h"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef QRNN_CLK_HZ
#define QRNN_CLK_HZ 12000000
#endif
#ifndef QRNN_BAUD
#define QRNN_BAUD 115200
#endif
#ifndef QRNN_TIMEOUT_BITS
#define QRNN_TIMEOUT_BITS 2304
#endif
#ifndef QRNN_LOAD_CYCLES
#define QRNN_LOAD_CYCLES 0
#endif
#ifndef QRNN_BTN
#define QRNN_BTN 0
#endif
#ifndef QRNN_BTN_ACTIVE_LOW
#define QRNN_BTN_ACTIVE_LOW 0
#endif

static volatile sig_atomic_t g_stop = 0;
static void on_signal(int sig) { g_stop = sig; }

static double now_s() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// `+name=value` from the command line, or `dflt`.
static uint64_t plusarg(int argc, char** argv, const char* name, uint64_t dflt) {
    std::string key = std::string("+") + name + "=";
    for (int i = 1; i < argc; ++i) {
        if (strncmp(argv[i], key.c_str(), key.size()) == 0) {
            return strtoull(argv[i] + key.size(), nullptr, 10);
        }
    }
    return dflt;
}

static bool plusflag(int argc, char** argv, const char* name) {
    std::string key = std::string("+") + name;
    for (int i = 1; i < argc; ++i) {
        if (key == argv[i]) return true;
    }
    return false;
}

static void die(const char* what) {
    fprintf(stderr, "uart_pty: %s: %s\n", what, strerror(errno));
    exit(1);
}

// A byte read from the host and the wall-clock time it was read.
struct InByte {
    uint8_t b;
    double at;
};

int main(int argc, char** argv) {
    const uint64_t clk_hz = plusarg(argc, argv, "clk_hz", QRNN_CLK_HZ);
    const uint64_t baud = plusarg(argc, argv, "baud", QRNN_BAUD);
    const uint64_t timeout_bits = plusarg(argc, argv, "timeout_bits", QRNN_TIMEOUT_BITS);
    const uint64_t load_cycles = plusarg(argc, argv, "load_cycles", QRNN_LOAD_CYCLES);
    const uint64_t idle_exit_s = plusarg(argc, argv, "idle_exit_s", 60);
    const bool trace = plusflag(argc, argv, "trace");
    if (baud == 0 || clk_hz / baud < 4) {
        fprintf(stderr, "uart_pty: CLK_HZ %llu / BAUD %llu must be at least 4\n",
                (unsigned long long)clk_hz, (unsigned long long)baud);
        return 1;
    }
    const uint64_t div = clk_hz / baud;  // cycles per bit, as the board top computes it
    const uint64_t cap = (timeout_bits + 64) * div + load_cycles;

    // ---- the pseudo-terminal ----
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0) die("posix_openpt");
    if (grantpt(master) != 0) die("grantpt");
    if (unlockpt(master) != 0) die("unlockpt");
    const char* name = ptsname(master);
    if (!name) die("ptsname");
    std::string slave_name = name;
    // The bridge keeps the slave open: the pty then survives hosts opening and closing it, and
    // reads of the master never fail with EIO between two hosts.
    int slave = open(slave_name.c_str(), O_RDWR | O_NOCTTY);
    if (slave < 0) die("open pty slave");
    struct termios tio;
    if (tcgetattr(slave, &tio) != 0) die("tcgetattr");
    cfmakeraw(&tio);
    cfsetispeed(&tio, B115200);
    cfsetospeed(&tio, B115200);
    if (tcsetattr(slave, TCSANOW, &tio) != 0) die("tcsetattr");
    if (fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK) != 0) die("fcntl");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    VerilatedContext* ctx = new VerilatedContext;
    ctx->commandArgs(argc, argv);
    Vqrnn_top* top = new Vqrnn_top{ctx};
    top->clk = 0;
    top->uart_rx = 1;
#if QRNN_BTN
    top->btn_rst = QRNN_BTN_ACTIVE_LOW ? 1 : 0;  // released
#endif
    top->eval();

    printf("PTY %s\n", slave_name.c_str());
    fflush(stdout);
    fprintf(stderr,
            "uart_pty: simulated board on %s (%llu Hz, %llu baud, %llu cycles per bit); "
            "exits after %llu s without traffic or on SIGTERM\n",
            slave_name.c_str(), (unsigned long long)clk_hz, (unsigned long long)baud,
            (unsigned long long)div, (unsigned long long)idle_exit_s);

    uint64_t cyc = 0;
    // transmitter model: host -> board (uart_rx)
    std::deque<InByte> inq;
    bool tx_busy = false;
    uint16_t tx_frame = 0;  // start bit, 8 data bits LSB first, stop bit; bit 0 goes first
    int tx_bit = 0;
    uint64_t tx_cnt = 0;
    // receiver model: board (uart_tx) -> host
    bool rx_busy = false;
    int rx_bit = 0;  // 0 = start bit, 1..8 data, 9 stop
    uint64_t rx_cnt = 0;
    uint8_t rx_byte = 0;
    bool tx_line_prev = true;
    std::string outq;  // bytes for the host not yet written to the master
    // the last byte in either direction: its cycle and wall-clock time
    uint64_t last_cyc = 0;
    double last_wall = now_s();
    double last_traffic = last_wall;
    uint64_t in_count = 0, out_count = 0;

    auto read_master = [&]() {
        uint8_t buf[256];
        for (;;) {
            ssize_t n = read(master, buf, sizeof buf);
            if (n > 0) {
                double t = now_s();
                for (ssize_t i = 0; i < n; ++i) inq.push_back(InByte{buf[i], t});
                last_traffic = t;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            return;  // EAGAIN: nothing more; 0/EIO: no host at the moment
        }
    };
    auto write_master = [&]() {
        while (!outq.empty()) {
            ssize_t n = write(master, outq.data(), outq.size());
            if (n > 0) {
                outq.erase(0, (size_t)n);
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else {
                return;  // the pty buffer is full: retry later
            }
        }
    };

    const uint64_t chunk = 256;  // cycles between looks at the pty while busy
    while (!g_stop) {
        bool busy = tx_busy || rx_busy || !inq.empty() || !outq.empty() || cyc - last_cyc < cap;
        if (!busy) {
            struct pollfd p = {master, POLLIN, 0};
            int r = poll(&p, 1, 20);
            if (r < 0 && errno != EINTR) die("poll");
            if (r > 0 && (p.revents & POLLIN)) read_master();
            if (inq.empty()) {
                if (idle_exit_s != 0 && now_s() - last_traffic > (double)idle_exit_s) {
                    fprintf(stderr, "uart_pty: no traffic for %llu s, exiting\n",
                            (unsigned long long)idle_exit_s);
                    break;
                }
                continue;
            }
        }
        for (uint64_t k = 0; k < chunk; ++k) {
            // start the next host byte once the line has been idle long enough (see the header)
            if (!tx_busy && !inq.empty()) {
                double pause = inq.front().at - last_wall;
                uint64_t need = 0;
                if (pause > 0) {
                    double c = pause * (double)clk_hz;
                    need = c >= (double)cap ? cap : (uint64_t)c;
                }
                if (cyc - last_cyc >= need) {
                    uint8_t b = inq.front().b;
                    inq.pop_front();
                    tx_frame = (uint16_t)((uint16_t)b << 1 | 0x200);
                    tx_busy = true;
                    tx_bit = 0;
                    tx_cnt = div;
                    if (trace) fprintf(stderr, "uart_pty: cycle %llu host> %02x\n",
                                       (unsigned long long)cyc, b);
                }
            }
            top->uart_rx = tx_busy ? (tx_frame >> tx_bit) & 1 : 1;
            top->clk = 1;
            top->eval();
            top->clk = 0;
            top->eval();
            ++cyc;
            if (tx_busy && --tx_cnt == 0) {
                if (++tx_bit == 10) {
                    tx_busy = false;
                    last_cyc = cyc;
                    last_wall = now_s();
                    ++in_count;
                } else {
                    tx_cnt = div;
                }
            }
            // receiver: a falling edge starts a byte; sample mid-bit
            bool line = top->uart_tx & 1;
            if (!rx_busy) {
                if (tx_line_prev && !line) {
                    rx_busy = true;
                    rx_bit = 0;
                    rx_cnt = div / 2;
                    rx_byte = 0;
                }
            } else if (--rx_cnt == 0) {
                if (rx_bit == 0) {
                    if (line) rx_busy = false;  // a glitch, not a start bit
                } else if (rx_bit <= 8) {
                    rx_byte |= (uint8_t)(line ? 1 : 0) << (rx_bit - 1);
                } else {
                    if (!line) {
                        fprintf(stderr, "uart_pty: cycle %llu: board byte %02x has a 0 stop bit\n",
                                (unsigned long long)cyc, rx_byte);
                    }
                    outq.push_back((char)rx_byte);
                    if (trace) fprintf(stderr, "uart_pty: cycle %llu board> %02x\n",
                                       (unsigned long long)cyc, rx_byte);
                    rx_busy = false;
                    last_cyc = cyc;
                    last_wall = now_s();
                    last_traffic = last_wall;
                    ++out_count;
                }
                ++rx_bit;
                rx_cnt = div;
            }
            tx_line_prev = line;
        }
        write_master();
        read_master();
    }
    if (g_stop) fprintf(stderr, "uart_pty: signal %d, exiting\n", (int)g_stop);
    fprintf(stderr, "uart_pty: %llu bytes in, %llu bytes out, %llu cycles\n",
            (unsigned long long)in_count, (unsigned long long)out_count,
            (unsigned long long)cyc);
    top->final();
    delete top;
    delete ctx;
    close(slave);
    close(master);
    return 0;
}
