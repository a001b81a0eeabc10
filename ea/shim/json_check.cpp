// The EA's JSON both ways, for tests/ea/test_ea_json.py to check against the server's own validation.
//   json_check samples        one line per sample: "<snapshot|ack> <name> <json>", built by Wire.mqh from
//                             hostile inputs (quotes, backslashes, control characters, emoji, long comments)
//   json_check parse <file>   reads a server answer and prints what the EA understood of it, one JSON per
//                             line: "command <json>" per command, then "answer <json>" (server_time, error)
#include "mql5_shim.hpp"

#include "TradeGuard/Hmac.mqh"
#include "TradeGuard/Json.mqh"
#include "TradeGuard/Wire.mqh"

#include <fstream>
#include <iterator>

static void emit(const string &kind, const string &name, const Bytes &json) {
  Print(kind, " ", name, " ", CharArrayToString(json.v, 0, ArraySize(json.v), CP_UTF8));
}

static void position(TgPositionList &list, ulong ticket, const string &symbol, const string &side, double volume,
                     int vdigits, int digits, double open, datetime open_time, double sl, double tp, double price,
                     double swap, double profit, long magic, const string &comment) {
  int i = ArraySize(list.v);
  ArrayResize(list.v, i + 1);
  TgPosition &p = list.v[i];
  p.ticket = ticket; p.symbol = symbol; p.side = side; p.volume = volume; p.volume_digits = vdigits;
  p.digits = digits; p.open_price = open; p.open_time = open_time; p.sl = sl; p.tp = tp; p.price = price;
  p.swap = swap; p.profit = profit; p.magic = magic; p.comment = comment;
}

static void deal(TgDealList &list, ulong ticket, ulong pos, const string &symbol, int type, int entry, int reason,
                 double volume, int vdigits, int digits, double price, datetime time, double profit,
                 double commission, double swap, long magic, const string &comment) {
  int i = ArraySize(list.v);
  ArrayResize(list.v, i + 1);
  TgDeal &d = list.v[i];
  d.ticket = ticket; d.position = pos; d.symbol = symbol; d.type = TgDealTypeName(type);
  d.entry = TgDealEntryName(entry); d.reason = TgDealReasonName(reason); d.volume = volume;
  d.volume_digits = vdigits; d.digits = digits; d.price = price; d.time = time; d.profit = profit;
  d.commission = commission; d.swap = swap; d.magic = magic; d.comment = comment;
}

static void quote(TgQuoteList &list, const string &symbol, int digits, double bid, double ask, datetime time) {
  int i = ArraySize(list.v);
  ArrayResize(list.v, i + 1);
  list.v[i].symbol = symbol; list.v[i].digits = digits; list.v[i].bid = bid; list.v[i].ask = ask;
  list.v[i].time = time;
}

static void account(TgAccount &a, long login, const string &server, const string &currency, double balance,
                    double equity, double margin, double free_margin, long leverage) {
  a.login = login; a.server = server; a.currency = currency; a.money_digits = 2; a.balance = balance;
  a.equity = equity; a.margin = margin; a.free_margin = free_margin; a.leverage = leverage;
}

static const datetime T0 = 1764633600;  // 2025-12-02T00:00:00Z

static void snapshots() {
  const string hostile = "q\"b\\s/t\tn\nr\rc\x01\x1f\x7f end";
  const string c64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  TgAccount a;
  TgPositionList p;
  TgDealList d;
  TgQuoteList q;
  Bytes out;

  account(a, 5012345, "Broker-Live", "USD", 10000.0, 9850.5, 120.0, 9730.5, 100);
  position(p, 123456, "EURUSD", "buy", 0.1, 2, 5, 1.0855, T0 - 300, 1.08, 1.095, 1.084, 0.0, -15.0, 7300,
           "tg:sig_8f3a");
  position(p, 123457, "EURUSD", "sell", 0.25, 2, 5, 1.0851, T0 - 200, 0.0, 0.0, 1.0841, -1.2, 25.0, 0, "");
  position(p, 123458, "EUR\"USD\\.x", "buy", 1.0, 2, 3, 150.123, T0 - 100, 0.0, 151.5, 150.2, 0.0, 7.7, 1,
           hostile);
  position(p, 123459, "XAUUSD", "sell", 0.01, 2, 2, 2650.55, T0 - 50, 2700.0, 0.0, 2649.1, 0.0, 1.45, 42,
           "emoji 😀 and € and é");
  position(p, 123460, "US30.cash", "buy", 2.5, 1, 1, 44000.5, T0 - 10, 0.0, 0.0, 44010.0, 0.0, 23.75, 9, c64);
  position(p, 123461, "BTCUSD", "buy", 0.005, 3, 2, 97000.0, T0 - 5, 0.0, 0.0, 96000.0, -0.004, -5.0, 0,
           c64 + "cut");
  deal(d, 987001, 123456, "EURUSD", 0, 0, 3, 0.1, 2, 5, 1.0855, T0 - 300, 0.0, -0.7, 0.0, 7300, "tg:sig_8f3a");
  deal(d, 987002, 0, "", 2, 0, 0, 0.0, 2, 0, 0.0, T0 - 86400, 10000.0, 0.0, 0.0, 0, "deposit \"wire\"");
  deal(d, 987003, 0, "", 2, 0, 0, 0.0, 2, 0, 0.0, T0 - 3600, -250.0, 0.0, 0.0, 0, "");
  deal(d, 987004, 0, "", 3, 0, 0, 0.0, 2, 0, 0.0, T0 - 3000, 50.0, 0.0, 0.0, 0, "credit");
  deal(d, 987005, 0, "", 7, 0, 0, 0.0, 2, 0, 0.0, T0 - 2000, 0.0, -3.5, 0.0, 0, "");
  deal(d, 987006, 123400, "EURUSD", 1, 1, 4, 0.3, 2, 5, 1.0799, T0 - 1000, -45.6, -2.1, -0.3, 0, hostile);
  deal(d, 987007, 123401, "EURUSD", 0, 3, 6, 0.1, 2, 5, 1.0801, T0 - 900, -1.0, 0.0, 0.0, 0, "[so 12.5%]");
  deal(d, 987008, 123402, "EURUSD", 0, 2, 9, 0.1, 2, 5, 1.0802, T0 - 800, 0.0, 0.0, 0.0, 0, "");
  deal(d, 987009, 0, "", 12, 0, 7, 0.0, 2, 0, 0.0, T0 - 700, 0.12, 0.0, 0.0, 0, "interest");
  quote(q, "EURUSD", 5, 1.084, 1.0841, T0);
  quote(q, "EUR\"USD\\.x", 3, 150.2, 150.215, T0);
  quote(q, "XAUUSD", 2, 2649.1, 2649.45, T0 - 1);
  TgSnapshotJson(1842, T0, a, p, d, q, out);
  emit("snapshot", "hedging", out);

  TgAccount n;
  TgPositionList np;
  TgDealList nd;
  TgQuoteList nq;
  account(n, 77, "Брокер-Demo «ECN»", "EUR", 5000.0, 4321.09, 0.0, 4321.09, 30);
  position(np, 5, "USDJPY", "sell", 1.5, 2, 3, 155.432, T0 - 7200, 0.0, 0.0, 156.001, -12.34, -548.71, 0,
           "netting: one per symbol");
  position(np, 6, "GER40", "buy", 0.1, 1, 2, 19500.25, T0 - 60, 19400.0, 0.0, 19510.5, 0.0, 1.03, 0, "");
  quote(nq, "USDJPY", 3, 156.001, 156.013, T0);
  quote(nq, "GER40", 2, 19510.5, 19511.75, T0);
  TgSnapshotJson(1764633600123, T0, n, np, nd, nq, out);
  emit("snapshot", "netting", out);

  TgPositionList ep;
  TgDealList ed;
  TgQuoteList eq;
  account(n, 1, "S", "USD", 0.0, 0.0, 0.0, 0.0, 1);
  TgSnapshotJson(0, T0, n, ep, ed, eq, out);
  emit("snapshot", "empty", out);
}

static void result(TgAck &a, ulong ticket, double vol, bool has_price, double price, int digits, bool has_profit,
                   double profit) {
  int i = ArraySize(a.results);
  ArrayResize(a.results, i + 1);
  TgAckResult &r = a.results[i];
  r.ticket = ticket; r.closed_volume = vol; r.volume_digits = 2; r.has_price = has_price; r.price = price;
  r.digits = digits; r.has_profit = has_profit; r.profit = profit; r.money_digits = 2; r.message = "";
}

static void send(TgAck &a, const string &status, const string &message) {
  a.status = status;
  a.message = message;
  Bytes out;
  TgAckJson(a, out);
  emit("ack", status, out);
}

static void acks() {
  TgAck done, partial, failed;
  result(done, 123456, 0.1, true, 1.0839, 5, true, -16.0);
  result(done, 123457, 0.25, true, 1.0842, 5, true, 22.5);
  send(done, "done", "");
  result(partial, 123458, 0.5, true, 150.2, 3, false, 0.0);  // profit not known yet
  result(partial, 123459, 0.0, false, 0.0, 2, false, 0.0);   // not closed (market closed)
  send(partial, "partial", "XAUUSD: market closed (10018)");
  send(failed, "failed", "AutoTrading is off \"in the terminal\"\nretcode 10027 \\ é 😀");
}

static int parse(const char *path) {
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Bytes answer;
  ArrayResize(answer.v, (int)data.size());
  for (size_t i = 0; i < data.size(); i++) answer.v[(long)i] = (uchar)data[i];
  TgCommandList list;
  int n = TgParseCommands(answer, list);
  for (int i = 0; i < n; i++) {
    TgCommand &c = list.v[i];
    TgJson j;
    TgJsonReset(j);
    TgJsonBeginObject(j);
    TgJsonKeyString(j, "id", c.id);
    TgJsonKeyString(j, "type", c.type);
    TgJsonKeyString(j, "reason", c.reason);
    TgJsonKeyInt(j, "ticket", (long)c.ticket);
    TgJsonKey(j, "has_volume");
    TgJsonBool(j, c.has_volume);
    TgJsonKeyString(j, "volume_text", c.volume_text);
    TgJsonKeyDecimal(j, "volume", c.volume, 8);
    TgJsonKeyString(j, "symbol", c.symbol);
    TgJsonKeyString(j, "side", c.side);
    TgJsonKeyDecimal(j, "sl", c.sl, 8);
    TgJsonKeyDecimal(j, "tp", c.tp, 8);
    TgJsonKeyString(j, "signal_id", c.signal_id);
    TgJsonKeyString(j, "created_at", c.created_at);
    TgJsonKeyString(j, "expires_at", c.expires_at);
    TgJsonEndObject(j);
    Bytes out;
    TgJsonBytes(j, out);
    emit("command", IntegerToString(i), out);
  }
  TgJsonDoc d;
  bool ok = TgJsonParse(answer, d);
  TgJson j;
  TgJsonReset(j);
  TgJsonBeginObject(j);
  TgJsonKey(j, "parsed");
  TgJsonBool(j, ok);
  TgJsonKeyInt(j, "commands", n);
  TgJsonKeyString(j, "server_time", TgJsonGet(d, 0, "server_time", ""));
  TgJsonKeyInt(j, "server_time_ms", TgParseIsoMs(TgJsonGet(d, 0, "server_time", "")));
  TgJsonKeyString(j, "error_code", TgErrorCode(answer));
  TgJsonKeyString(j, "error_message", TgErrorMessage(answer));
  TgJsonEndObject(j);
  Bytes out;
  TgJsonBytes(j, out);
  emit("answer", "-", out);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && std::string(argv[1]) == "samples") {
    snapshots();
    acks();
    return 0;
  }
  if (argc == 3 && std::string(argv[1]) == "parse") return parse(argv[2]);
  Print("usage: json_check samples | json_check parse <file>");
  return 2;
}
