// fake_terminal.hpp: the Term* interface (declared in Commands.mqh) over an in-memory MT5 account, for
// the C++ programs that run the EA's shared core here (drive.cpp). C++17; include after mql5_shim.hpp and
// Commands.mqh. Not MQL5: Terminal.mqh is the real terminal's side.
//
// The P&L model is sim/scenarios/account.py's: one lot is 100,000 units (100 for XAUUSD), profit and
// margin at 1:1 in the account currency, money rounded to cents. A buy is valued at the bid, a sell at
// the ask. Tickets only grow (as on an MT5 server). Optional extras a test switches on:
//   - a "grid EA" (magic 4242) that, when one of its positions is closed, reopens it at double the
//     volume (a martingale) on the next market tick, or at once, at most `grid_budget` times;
//   - closes refused for given tickets (a market closed for that symbol), trading switched off,
//   - a partial fill for opens.
#ifndef TRADEGUARD_FAKE_TERMINAL_HPP
#define TRADEGUARD_FAKE_TERMINAL_HPP

#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#define FAKE_GRID_MAGIC 4242

struct FakeSymbol {
    double bid = 0, ask = 0, contract = 100000;
    int digits = 5;
};

struct FakePosition {
    long ticket = 0;
    std::string symbol, side, comment;
    double volume = 0, open_price = 0, sl = 0, tp = 0;
    long magic = 0;
    long open_time = 0;
};

struct FakeDeal {
    long ticket = 0, position = 0, magic = 0, time = 0;
    std::string symbol, type, entry, reason, comment;
    double volume = 0, price = 0, profit = 0;
};

struct FakeAccount {
    long login = 5012345;
    std::string server = "E2E-Live", currency = "USD";
    long leverage = 100;
    bool hedging = true;
    double balance = 10000.0;
    long now = 1796000000;  // UTC seconds; the drive sets it from the clock
    std::map<std::string, FakeSymbol> symbols;
    std::vector<FakePosition> positions;
    std::vector<FakeDeal> deals;
    std::vector<FakeDeal> selected;  // TermDealsSince
    long next_ticket = 100001;
    long next_deal = 900001;
    // switches a test turns on
    bool trade_allowed = true;
    std::string trade_refusal = "AutoTrading (Algo Trading) is off in the terminal";
    std::map<long, std::string> refuse_close;  // ticket -> why (e.g. "market closed (retcode 10018)")
    double fill_volume = 0;                      // > 0: opens fill at most this
    bool grid = false;
    bool grid_immediate = false;
    int grid_budget = 3;
    std::vector<FakePosition> grid_pending;      // closed grid positions to reopen on the next tick
    int closes = 0, opens = 0, grid_reopened = 0;
    std::vector<long> close_order;               // tickets in the order they were closed
};

FakeAccount g_fake;

inline std::string FakeStd(const string &s) { return s.std(); }
inline string FakeStr(const std::string &s) { return string(s); }
inline double FakeRound(double v, int digits) {
    double f = std::pow(10.0, digits);
    return std::round(v * f) / f;
}

inline FakeSymbol &FakeSym(const std::string &name) { return g_fake.symbols[name]; }

inline void FakeSetQuote(const std::string &name, double bid, double spread_points = 10) {
    FakeSymbol &s = FakeSym(name);
    if (name == "XAUUSD") {
        s.contract = 100;
        s.digits = 2;
    }
    s.bid = bid;
    s.ask = FakeRound(bid + spread_points * std::pow(10.0, -s.digits), s.digits);
}

inline double FakeMark(const FakePosition &p) {
    const FakeSymbol &s = FakeSym(p.symbol);
    return p.side == "buy" ? s.bid : s.ask;
}

inline double FakeProfitAt(const FakePosition &p, double price, double volume) {
    double dir = p.side == "buy" ? 1.0 : -1.0;
    return FakeRound((price - p.open_price) * FakeSym(p.symbol).contract * volume * dir, 2);
}

inline double FakeEquity() {
    double e = g_fake.balance;
    for (const FakePosition &p : g_fake.positions) e += FakeProfitAt(p, FakeMark(p), p.volume);
    return FakeRound(e, 2);
}

inline double FakeMargin() {
    double m = 0;
    for (const FakePosition &p : g_fake.positions)
        m += p.volume * FakeSym(p.symbol).contract * p.open_price / (double)g_fake.leverage;
    return FakeRound(m, 2);
}

inline void FakeAddDeal(const FakePosition &p, const std::string &type, const std::string &entry,
                        const std::string &reason, double volume, double price, double profit, long magic,
                        const std::string &comment) {
    FakeDeal d;
    d.ticket = g_fake.next_deal++;
    d.position = p.ticket;
    d.symbol = p.symbol;
    d.type = type;
    d.entry = entry;
    d.reason = reason;
    d.volume = volume;
    d.price = price;
    d.profit = profit;
    d.magic = magic;
    d.comment = comment;
    d.time = g_fake.now;
    g_fake.deals.push_back(d);
}

// Open at market; the position's ticket, or 0.
inline long FakeOpen(const std::string &symbol, const std::string &side, double volume, long magic,
                     const std::string &comment, const std::string &reason = "expert", double sl = 0,
                     double tp = 0) {
    auto found = g_fake.symbols.find(symbol);
    if (found == g_fake.symbols.end() || found->second.bid <= 0) return 0;
    FakePosition p;
    p.ticket = g_fake.next_ticket++;
    p.symbol = symbol;
    p.side = side;
    p.volume = volume;
    p.open_price = side == "buy" ? found->second.ask : found->second.bid;
    p.sl = sl;
    p.tp = tp;
    p.magic = magic;
    p.comment = comment;
    p.open_time = g_fake.now;
    g_fake.positions.push_back(p);
    FakeAddDeal(p, side, "in", reason, volume, p.open_price, 0.0, magic, comment);
    g_fake.opens++;
    return p.ticket;
}

inline void FakeGridReopen(const FakePosition &closed) {
    if (g_fake.grid_reopened >= g_fake.grid_budget) return;
    g_fake.grid_reopened++;
    long t = FakeOpen(closed.symbol, closed.side, FakeRound(closed.volume * 2, 2), FAKE_GRID_MAGIC, "grid");
    std::printf("fake: grid EA reopened #%ld %s %s %.2f (was #%ld)\n", t, closed.symbol.c_str(),
                closed.side.c_str(), closed.volume * 2, closed.ticket);
}

// One market step: time goes on, quotes move (the caller set them), the grid EA acts.
inline void FakeTick(long seconds = 1) {
    g_fake.now += seconds;
    std::vector<FakePosition> pending;
    pending.swap(g_fake.grid_pending);
    for (const FakePosition &p : pending) FakeGridReopen(p);
}

inline int FakeCount(long magic = -1) {
    int n = 0;
    for (const FakePosition &p : g_fake.positions)
        if (magic < 0 || p.magic == magic) n++;
    return n;
}

//--- the Term* interface

bool TermHedging() { return g_fake.hedging; }

bool TermAccount(TgAccount &a) {
    a.login = g_fake.login;
    a.server = FakeStr(g_fake.server);
    a.currency = FakeStr(g_fake.currency);
    a.money_digits = 2;
    a.balance = FakeRound(g_fake.balance, 2);
    a.equity = FakeEquity();
    a.margin = FakeMargin();
    a.free_margin = FakeRound(a.equity - a.margin, 2);
    a.leverage = g_fake.leverage;
    return true;
}

int TermPositionsTotal() { return (int)g_fake.positions.size(); }

static void FakeFill(const FakePosition &f, TgPosition &p) {
    p.ticket = (ulong)f.ticket;
    p.symbol = FakeStr(f.symbol);
    p.side = FakeStr(f.side);
    p.volume = f.volume;
    p.volume_digits = 2;
    p.digits = FakeSym(f.symbol).digits;
    p.open_price = f.open_price;
    p.open_time = (datetime)f.open_time;
    p.sl = f.sl;
    p.tp = f.tp;
    p.price = FakeMark(f);
    p.swap = 0.0;
    p.profit = FakeProfitAt(f, p.price, f.volume);
    p.magic = f.magic;
    p.comment = FakeStr(f.comment);
}

bool TermPositionAt(const int index, TgPosition &p) {
    if (index < 0 || index >= (int)g_fake.positions.size()) return false;
    FakeFill(g_fake.positions[index], p);
    return true;
}

bool TermClose(const long ticket, const double volume, TermResult &r) {
    TgResultClear(r);
    r.ticket = ticket;
    size_t i = 0;
    while (i < g_fake.positions.size() && g_fake.positions[i].ticket != ticket) i++;
    if (i == g_fake.positions.size()) {
        r.message = FakeStr("position #" + std::to_string(ticket) + " is not open");
        return false;
    }
    if (!g_fake.trade_allowed) {
        r.retcode = 10027;
        r.message = FakeStr(g_fake.trade_refusal + " (retcode 10027)");
        return false;
    }
    auto refused = g_fake.refuse_close.find(ticket);
    if (refused != g_fake.refuse_close.end()) {
        r.retcode = 10018;
        r.message = FakeStr(refused->second);
        return false;
    }
    FakePosition p = g_fake.positions[i];
    double closed = (volume <= 0 || volume >= p.volume - 0.005) ? p.volume : FakeRound(volume, 2);
    double price = FakeMark(p);
    double profit = FakeProfitAt(p, price, closed);
    g_fake.balance = FakeRound(g_fake.balance + profit, 2);
    FakeAddDeal(p, p.side == "buy" ? "sell" : "buy", "out", "expert", closed, price, profit, TG_MAGIC, "");
    if (closed >= p.volume) {
        g_fake.positions.erase(g_fake.positions.begin() + (long)i);
        if (g_fake.grid && p.magic == FAKE_GRID_MAGIC) {
            if (g_fake.grid_immediate)
                FakeGridReopen(p);
            else
                g_fake.grid_pending.push_back(p);
        }
    } else {
        g_fake.positions[i].volume = FakeRound(p.volume - closed, 2);
    }
    g_fake.closes++;
    g_fake.close_order.push_back(ticket);
    r.ok = true;
    r.retcode = 10009;
    r.volume = closed;
    r.volume_digits = 2;
    r.price = price;
    r.price_digits = FakeSym(p.symbol).digits;
    r.has_price = true;
    r.profit = profit;
    r.has_profit = true;
    return true;
}

bool TermOpen(const string symbol, const string side, const double volume, const double sl, const double tp,
              const string comment, const long magic, TermResult &r) {
    TgResultClear(r);
    if (!g_fake.trade_allowed) {
        r.retcode = 10027;
        r.message = FakeStr(g_fake.trade_refusal + " (retcode 10027)");
        return false;
    }
    double filled = (g_fake.fill_volume > 0 && g_fake.fill_volume < volume) ? g_fake.fill_volume : volume;
    long ticket = FakeOpen(FakeStd(symbol), FakeStd(side), filled, magic, FakeStd(comment), "expert", sl, tp);
    if (ticket == 0) {
        r.retcode = 10013;
        r.message = FakeStr("unknown symbol " + FakeStd(symbol));
        return false;
    }
    const FakePosition &p = g_fake.positions.back();
    r.ok = true;
    r.retcode = filled < volume ? 10010 : 10009;
    r.ticket = ticket;
    r.volume = filled;
    r.volume_digits = 2;
    r.price = p.open_price;
    r.price_digits = FakeSym(p.symbol).digits;
    r.has_price = true;
    return true;
}

int TermDealsSince(const datetime from_utc) {
    g_fake.selected.clear();
    for (const FakeDeal &d : g_fake.deals)
        if (d.time >= (long)from_utc) g_fake.selected.push_back(d);
    return (int)g_fake.selected.size();
}

bool TermDealAt(const int index, TgDeal &d) {
    if (index < 0 || index >= (int)g_fake.selected.size()) return false;
    const FakeDeal &f = g_fake.selected[index];
    d.ticket = (ulong)f.ticket;
    d.position = (ulong)f.position;
    d.symbol = FakeStr(f.symbol);
    d.type = FakeStr(f.type);
    d.entry = FakeStr(f.entry);
    d.reason = FakeStr(f.reason);
    d.volume = f.volume;
    d.volume_digits = 2;
    d.price = f.price;
    d.digits = f.symbol.empty() ? 2 : FakeSym(f.symbol).digits;
    d.time = (datetime)f.time;
    d.profit = f.profit;
    d.commission = 0.0;
    d.swap = 0.0;
    d.magic = f.magic;
    d.comment = FakeStr(f.comment);
    return true;
}

int TermWatchedTotal() { return (int)g_fake.symbols.size(); }

string TermWatchedSymbol(const int index) {
    int i = 0;
    for (const auto &entry : g_fake.symbols)
        if (i++ == index) return FakeStr(entry.first);
    return FakeStr("");
}

bool TermQuoteOf(const string symbol, TgQuote &q) {
    auto found = g_fake.symbols.find(FakeStd(symbol));
    if (found == g_fake.symbols.end() || found->second.bid <= 0) return false;
    q.symbol = symbol;
    q.bid = found->second.bid;
    q.ask = found->second.ask;
    q.digits = found->second.digits;
    q.time = (datetime)g_fake.now;
    return true;
}

void TermAlert(const string text) { std::printf("ALERT %s\n", text.c_str()); }

bool TermTradeAllowed(string &why) {
    why = FakeStr(g_fake.trade_allowed ? "" : g_fake.trade_refusal);
    return g_fake.trade_allowed;
}

#endif
