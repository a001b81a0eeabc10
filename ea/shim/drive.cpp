// drive.cpp: the EA's real core (Bridge.mqh + Commands.mqh + Wire.mqh, as MetaEditor compiles them)
// built with the MQL5 shim and the fake terminal, in two modes:
//
//   drive --scenario NAME                 command handling against the fake terminal only (no server);
//                                         prints one JSON line: the ack and what the account looks like
//   drive --url URL --device ID [--login N --server S --seconds T --interval-ms MS --grid]
//                                         the whole EA against a running `tradeguard run`: ping, snapshots,
//                                         a fall of 25 % (a breach at the default 20 %), the close_all it is
//                                         sent, the ack; the secret comes from TG_DEVICE_SECRET (never argv)
//
// Exit codes: 0 ok, 2 usage, 3 the EA stopped itself (wrong account, credentials), 4 no close_all in time.
#include "mql5_shim.hpp"
#include "TradeGuard/Hmac.mqh"
#include "TradeGuard/Json.mqh"
#include "TradeGuard/Wire.mqh"
#include "TradeGuard/Commands.mqh"
#include "TradeGuard/Bridge.mqh"
#include "fake_terminal.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

static std::string Arg(int argc, char **argv, const char *name, const char *fallback) {
    for (int i = 1; i + 1 < argc; i++)
        if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
    return fallback;
}

static bool Flag(int argc, char **argv, const char *name) {
    for (int i = 1; i < argc; i++)
        if (std::strcmp(argv[i], name) == 0) return true;
    return false;
}

static std::string AckText(const TgOutcome &o) {
    Bytes body;
    TgAckJson(o.ack, body);
    return CharArrayToString(body.v, 0, WHOLE_ARRAY, CP_UTF8).std();
}

static std::string Quoted(const std::string &s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// The account as the test sees it: open positions, the order of closes, the lock.
static std::string AccountText() {
    std::string out = "{\"positions\":[";
    for (size_t i = 0; i < g_fake.positions.size(); i++) {
        const FakePosition &p = g_fake.positions[i];
        char buf[256];
        std::snprintf(buf, sizeof buf, "%s{\"ticket\":%ld,\"symbol\":%s,\"side\":\"%s\",\"volume\":\"%.2f\",\"magic\":%ld,"
                      "\"comment\":%s}", i ? "," : "", p.ticket, Quoted(p.symbol).c_str(), p.side.c_str(), p.volume,
                      p.magic, Quoted(p.comment).c_str());
        out += buf;
    }
    out += "],\"close_order\":[";
    for (size_t i = 0; i < g_fake.close_order.size(); i++)
        out += (i ? "," : "") + std::to_string(g_fake.close_order[i]);
    out += "],\"locked\":";
    out += TgLocked() ? "true" : "false";
    out += ",\"grid_reopened\":" + std::to_string(g_fake.grid_reopened);
    char balance[64];
    std::snprintf(balance, sizeof balance, ",\"balance\":\"%.2f\"}", g_fake.balance);
    out += balance;
    return out;
}

static TgCommand Command(const char *type, const char *reason) {
    TgCommand c;
    c.id = "cmd_test";
    c.type = type;
    c.reason = reason;
    c.ticket = 0;
    c.has_volume = false;
    c.volume = 0.0;
    c.sl = 0.0;
    c.tp = 0.0;
    return c;
}

static TgCommand Open(const char *symbol, const char *side, double volume, const char *volume_text) {
    TgCommand c = Command("open_position", "signal");
    c.symbol = symbol;
    c.side = side;
    c.volume = volume;
    c.volume_text = volume_text;
    c.has_volume = true;
    return c;
}

static void Report(const char *scenario, const TgOutcome &o) {
    std::printf("{\"scenario\":\"%s\",\"ack\":%s,\"summary\":%s,\"account\":%s}\n", scenario, AckText(o).c_str(),
                Quoted(o.summary.std()).c_str(), AccountText().c_str());
}

static void Market() {
    g_fake.now = (long)TimeGMT();
    FakeSetQuote("EURUSD", 1.10000);
    FakeSetQuote("GBPUSD", 1.27000);
    FakeSetQuote("XAUUSD", 2650.00, 30);
}

// Three positions of different P&L: after a move, close_all closes the largest loss first.
static int ScenarioCloseOrder(bool grid) {
    Market();
    long small_loss = FakeOpen("EURUSD", "buy", 0.10, 0, "");
    long profit = FakeOpen("GBPUSD", "sell", 0.20, 0, "");
    long big_loss = FakeOpen("XAUUSD", "buy", 0.50, grid ? FAKE_GRID_MAGIC : 0, grid ? "grid" : "");
    FakeSetQuote("EURUSD", 1.09900);   // -10.00
    FakeSetQuote("GBPUSD", 1.26900);   // +20.00 (minus the spread)
    FakeSetQuote("XAUUSD", 2640.00, 30);  // -500.00 and more
    g_fake.grid = grid;
    g_fake.grid_immediate = grid;
    std::printf("fake: opened #%ld (small loss) #%ld (profit) #%ld (big loss)\n", small_loss, profit, big_loss);
    TgOutcome o;
    TgExecute(Command("close_all", "max_drawdown"), o);
    Report(grid ? "grid" : "close_order", o);
    return 0;
}

// Locked: a position opened later (by hand, by another EA) is closed at once; the older one may stay.
static int ScenarioLock() {
    Market();
    long before = FakeOpen("EURUSD", "buy", 0.10, 0, "");
    TgOutcome o;
    TgExecute(Command("lock", "admin"), o);
    long later = FakeOpen("GBPUSD", "buy", 0.30, 0, "", "client");
    int closed = TgEnforceLock();
    std::printf("fake: kept #%ld, opened #%ld after the lock, lock sweep closed %d\n", before, later, closed);
    TgOutcome refused;
    TgExecute(Open("EURUSD", "buy", 0.1, "0.10"), refused);
    std::printf("{\"scenario\":\"lock\",\"ack\":%s,\"open_ack\":%s,\"swept\":%d,\"account\":%s}\n", AckText(o).c_str(),
                AckText(refused).c_str(), closed, AccountText().c_str());
    return 0;
}

// A restart: phase 1 locks (persisted by the shim's global-variable file), phase 2 is a new process.
static int ScenarioRestart(int phase) {
    Market();
    if (phase == 1) {
        FakeOpen("EURUSD", "buy", 0.10, 0, "");
        TgOutcome o;
        TgExecute(Command("lock", "max_drawdown"), o);
        std::printf("{\"scenario\":\"restart1\",\"ack\":%s,\"account\":%s}\n", AckText(o).c_str(), AccountText().c_str());
        return 0;
    }
    // the terminal came back: the old position is still there, then a grid EA opens a new one
    g_fake.next_ticket = 100001;
    FakeOpen("EURUSD", "buy", 0.10, 0, "");
    long later = FakeOpen("EURUSD", "sell", 0.40, FAKE_GRID_MAGIC, "grid");
    int closed = TgEnforceLock();
    std::printf("fake: #%ld opened after the restart\n", later);
    std::printf("{\"scenario\":\"restart2\",\"swept\":%d,\"account\":%s}\n", closed, AccountText().c_str());
    return 0;
}

static int ScenarioPartialClose() {
    Market();
    long ticket = FakeOpen("EURUSD", "buy", 0.10, 0, "");
    FakeSetQuote("EURUSD", 1.10200);
    TgCommand c = Command("close_position", "admin");
    c.ticket = (ulong)ticket;
    c.has_volume = true;
    c.volume = 0.04;
    c.volume_text = "0.04";
    TgOutcome o;
    TgExecute(c, o);
    Report("partial_close", o);
    return 0;
}

static int ScenarioOpen(const char *signal_id) {
    Market();
    TgCommand c = Open("EURUSD", "sell", 0.25, "0.25");
    c.sl = 1.11000;
    c.signal_id = signal_id;
    TgOutcome o;
    TgExecute(c, o);
    Report("open", o);
    return 0;
}

// Closes refused: one ticket (market closed) → partial; AutoTrading off → failed with the reason.
static int ScenarioFailed(const char *which) {
    Market();
    long a = FakeOpen("EURUSD", "buy", 0.10, 0, "");
    long b = FakeOpen("XAUUSD", "buy", 0.10, 0, "");
    FakeSetQuote("XAUUSD", 2640.00, 30);
    if (std::strcmp(which, "partial") == 0) {
        g_fake.refuse_close[b] = "Market is closed (retcode 10018)";
    } else if (std::strcmp(which, "all") == 0) {
        g_fake.refuse_close[a] = "Market is closed (retcode 10018)";
        g_fake.refuse_close[b] = "Market is closed (retcode 10018)";
    } else {
        g_fake.trade_allowed = false;
    }
    TgOutcome o;
    TgExecute(Command("close_all", "max_drawdown"), o);
    Report(which, o);
    TgCommand c = Command("close_position", "admin");
    c.ticket = 424242;
    TgOutcome missing;
    g_fake.trade_allowed = true;
    TgExecute(c, missing);
    Report("missing_ticket", missing);
    return 0;
}

static int RunScenario(const std::string &name) {
    TgCommandsInit(g_fake.login);
    if (name == "close_order") return ScenarioCloseOrder(false);
    if (name == "grid") return ScenarioCloseOrder(true);
    if (name == "lock") return ScenarioLock();
    if (name == "restart1") return ScenarioRestart(1);
    if (name == "restart2") return ScenarioRestart(2);
    if (name == "partial_close") return ScenarioPartialClose();
    if (name == "open") return ScenarioOpen("sig_8f3a");
    if (name == "open_long") return ScenarioOpen("sig_0123456789abcdef0123456789");
    if (name == "failed_partial") return ScenarioFailed("partial");
    if (name == "failed_all") return ScenarioFailed("all");
    if (name == "failed_autotrading") return ScenarioFailed("autotrading");
    std::fprintf(stderr, "unknown scenario %s\n", name.c_str());
    return 2;
}

// The drive: a 10,000 USD account with 1 lot of EURUSD and a grid EA's GBPUSD position; EURUSD falls until
// equity is 25 % under its peak. The EA must be sent close_all, execute it, ack it, and keep the account
// flat while the grid EA reopens (the lock).
static int Drive(int argc, char **argv) {
    const char *secret = std::getenv("TG_DEVICE_SECRET");
    std::string url = Arg(argc, argv, "--url", "");
    std::string device = Arg(argc, argv, "--device", "");
    if (url.empty() || device.empty() || secret == nullptr) {
        std::fprintf(stderr, "usage: drive --url URL --device ID (secret in TG_DEVICE_SECRET) | --scenario NAME\n");
        return 2;
    }
    g_fake.login = std::atol(Arg(argc, argv, "--login", "5012345").c_str());
    g_fake.server = Arg(argc, argv, "--server", "E2E-Live");
    g_fake.grid = Flag(argc, argv, "--grid");
    g_fake.grid_budget = 2;
    int interval_ms = std::atoi(Arg(argc, argv, "--interval-ms", "400").c_str());
    double seconds = std::atof(Arg(argc, argv, "--seconds", "60").c_str());
    g_tg_log_level = TG_LOG_DEBUG;
    Market();
    FakeOpen("EURUSD", "buy", 1.00, 0, "", "client");
    FakeOpen("GBPUSD", "buy", 0.10, FAKE_GRID_MAGIC, "grid");
    string problem;
    if (!TgBridgeConfigure(url.c_str(), device.c_str(), secret, 1, problem)) {
        std::printf("ALERT TradeGuard: %s\n", problem.c_str());
        return 2;
    }
    g_tg_bridge.interval_ms = interval_ms;
    // the price path: a flat start (the peak), then EURUSD down 0.0050 a step to -0.0250 (-2,500 USD: 25 %)
    const double path[] = {1.10000, 1.10000, 1.10000, 1.09500, 1.09000, 1.08500, 1.08000, 1.07500};
    const int steps = (int)(sizeof path / sizeof path[0]);
    auto start = std::chrono::steady_clock::now();
    auto last_step = start;
    int step = 0;
    size_t deals_seen = g_fake.deals.size();
    int after_done = -1;  // snapshots still to send once the close_all is done
    long snapshots_at_done = 0;
    while (true) {
        auto now = std::chrono::steady_clock::now();
        double elapsed = std::chrono::duration<double>(now - start).count();
        if (elapsed > seconds) break;
        if (g_tg_bridge.halted) break;
        g_fake.now = (long)TimeGMT();
        if (g_tg_bridge.started &&
            std::chrono::duration<double, std::milli>(now - last_step).count() >= interval_ms) {
            last_step = now;
            if (step < steps) FakeSetQuote("EURUSD", path[step]);
            step++;
            FakeTick(0);  // the grid EA reopens what was closed since the last step
        }
        bool event = g_fake.deals.size() != deals_seen;
        deals_seen = g_fake.deals.size();
        TgBridgeTick(event);
        if (g_tg_bridge.liquidated_now && after_done < 0) {
            after_done = 6;
            snapshots_at_done = g_tg_bridge.snapshots;
            std::printf("drive: close_all done; the grid EA may reopen, the lock must close it\n");
        }
        if (after_done >= 0 && g_tg_bridge.snapshots - snapshots_at_done >= after_done) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::printf("{\"drive\":true,\"snapshots\":%ld,\"acks\":%ld,\"closed_all\":%s,\"halted\":%s,\"locked\":%s,"
                "\"positions_left\":%d,\"grid_reopened\":%d,\"seq\":%ld}\n",
                g_tg_bridge.snapshots, g_tg_bridge.acks, after_done >= 0 ? "true" : "false",
                g_tg_bridge.halted ? "true" : "false", TgLocked() ? "true" : "false", FakeCount(),
                g_fake.grid_reopened, g_tg_bridge.seq);
    if (g_tg_bridge.halted) return 3;
    return after_done >= 0 ? 0 : 4;
}

int main(int argc, char **argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    std::string scenario = Arg(argc, argv, "--scenario", "");
    if (!scenario.empty()) return RunScenario(scenario);
    return Drive(argc, argv);
}
