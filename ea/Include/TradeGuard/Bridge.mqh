//+------------------------------------------------------------------+
//| Bridge.mqh: the EA's client cycle (BRIDGE.md v1): ping, a        |
//| snapshot every interval and after trade events, the commands in  |
//| each answer, their acks, retries. Shared: MQL5 and, with the     |
//| shim, C++17 (ea/shim/drive.cpp runs it against `tradeguard run`).|
//|                                                                  |
//| Never blocks for long: every request has a timeout, a wait after |
//| an error is a time before which the timer does nothing (not a    |
//| Sleep), and after it the EA sends its LATEST state, not a backlog|
//+------------------------------------------------------------------+
#ifndef TRADEGUARD_BRIDGE_MQH
#define TRADEGUARD_BRIDGE_MQH

#define TG_HTTP_TIMEOUT_MS   5000     // per request
#define TG_BACKOFF_MAX_S     60       // network errors: 1, 2, 4 ... 60 s
#define TG_RETRY_AFTER_MAX_S 300      // a server's Retry-After is honoured up to this
#define TG_EVENT_GAP_MS      250      // snapshots after trade events: at most one per this
#define TG_FOLLOW_UPS        3        // snapshots right after commands that traded
#define TG_MAX_POSITIONS     500
#define TG_MAX_DEALS         1000
#define TG_MAX_QUOTES        200
#define TG_DEAL_MARGIN_S     120      // deals are re-read this far before the last accepted one
#define TG_MEMORY            64       // commands remembered (their acks are resent when repeated)
#define TG_SKEW_WARN_S       10

struct TgBridgeState
  {
   string            origin;          // scheme://host[:port]
   string            prefix;          // path before /v1 ("" or e.g. "/tg"): signed too
   string            device;
   string            secret;
   int               interval_ms;
   long              login;
   string            server;
   long              clock_offset;    // server clock minus this PC's clock, seconds
   long              seq;             // the last seq sent
   datetime          deal_from;       // UTC: deals from here on are read (minus the margin)
   TG_ARRAY(ulong, sent_tickets);     // deals the server accepted, within the margin
   TG_ARRAY(datetime, sent_times);
   TG_ARRAY(string, memory_ids);      // commands carried out: their acks, resent if repeated
   TG_ARRAY(string, memory_status);
   TG_ARRAY(string, memory_body);
   int               memory_next;
   bool              started;         // ping accepted
   bool              halted;          // cannot go on (wrong account, bad credentials): the EA stops
   bool              liquidated_now;  // a close_all was done and acked (the .mq5 may turn AutoTrading off)
   bool              dirty;           // a trade event waits for its snapshot
   uint              next_at;         // GetTickCount() when the next request may go
   uint              last_sent;
   int               failures;        // in a row, for the backoff
   bool              alerted_4014;
   long              snapshots;       // accepted, this run
   long              acks;
  };

TgBridgeState g_tg_bridge;

void TermAlert(const string text);   // Terminal.mqh: Alert(); the fake terminal: a line on stdout

bool TgDue(const uint at)
  {
   return (int)(GetTickCount() - at) >= 0;
  }

long TgNowUtc()
  {
   return (long)TimeGMT() + g_tg_bridge.clock_offset;
  }

string TgSeqName()
  {
   return TgGvName("seq");
  }

//--- configuration
bool TgBridgeConfigure(const string url, const string device, const string secret, const int interval_s,
                       string &problem)
  {
   string u = url;
   StringTrimLeft(u);
   StringTrimRight(u);
   int scheme = StringFind(u, "://");
   if(scheme <= 0)
     {
      problem = "the bridge URL must start with https:// (or http:// for a local test), e.g. https://bridge.example.com";
      return false;
     }
   int slash = StringFind(u, "/", scheme + 3);
   g_tg_bridge.origin = (slash < 0) ? u : StringSubstr(u, 0, slash);
   g_tg_bridge.prefix = (slash < 0) ? "" : StringSubstr(u, slash);
   while(StringLen(g_tg_bridge.prefix) > 0
         && StringSubstr(g_tg_bridge.prefix, StringLen(g_tg_bridge.prefix) - 1) == "/")
      g_tg_bridge.prefix = StringSubstr(g_tg_bridge.prefix, 0, StringLen(g_tg_bridge.prefix) - 1);
   g_tg_bridge.device = device;
   StringTrimLeft(g_tg_bridge.device);
   StringTrimRight(g_tg_bridge.device);
   g_tg_bridge.secret = secret;
   StringTrimLeft(g_tg_bridge.secret);
   StringTrimRight(g_tg_bridge.secret);
   StringToLower(g_tg_bridge.secret);
   if(g_tg_bridge.device == "")
     {
      problem = "enter the device id the bot gave you with /link";
      return false;
     }
   Bytes key;
   if(StringLen(g_tg_bridge.secret) != 64 || !TgFromHex(g_tg_bridge.secret, key) || ArraySize(key.v) != 32)
     {
      problem = "the secret must be the 64 hex characters the bot gave you with /link";
      return false;
     }
   int seconds = interval_s;
   if(seconds < 1)
      seconds = 1;
   if(seconds > 60)
      seconds = 60;
   g_tg_bridge.interval_ms = seconds * 1000;
   g_tg_bridge.login = 0;
   g_tg_bridge.server = "";
   g_tg_bridge.clock_offset = 0;
   g_tg_bridge.seq = 0;
   g_tg_bridge.deal_from = 0;
   ArrayFree(g_tg_bridge.sent_tickets);
   ArrayFree(g_tg_bridge.sent_times);
   ArrayFree(g_tg_bridge.memory_ids);
   ArrayFree(g_tg_bridge.memory_status);
   ArrayFree(g_tg_bridge.memory_body);
   g_tg_bridge.memory_next = 0;
   g_tg_bridge.started = false;
   g_tg_bridge.halted = false;
   g_tg_bridge.liquidated_now = false;
   g_tg_bridge.dirty = false;
   g_tg_bridge.next_at = GetTickCount();
   g_tg_bridge.last_sent = GetTickCount();
   g_tg_bridge.failures = 0;
   g_tg_bridge.alerted_4014 = false;
   g_tg_bridge.snapshots = 0;
   g_tg_bridge.acks = 0;
   return true;
  }

//--- one signed request
struct TgAnswer
  {
   int               status;          // HTTP status, or -1 (no answer: see error)
   int               error;           // GetLastError() after a -1
   Bytes             body;
   string            headers;
   string            code;            // error.code of a non-2xx answer
   string            message;
  };

void TgRequest(const string method, const string path, const Bytes &body, TgAnswer &a)
  {
   string timestamp = IntegerToString(TgNowUtc());
   string nonce = TgNonce();
   string path_qs = g_tg_bridge.prefix + path;
   string signature = TgSignature(g_tg_bridge.secret, method, path_qs, timestamp, nonce, body);
   string headers = TgHeaders(g_tg_bridge.device, timestamp, nonce, signature);
   if(ArraySize(body.v) > 0)
      headers = headers + "Content-Type: application/json\r\n";
   Chars data;
   Chars result;
   TgBytesToChars(body, data);
   a.headers = "";
   a.code = "";
   a.message = "";
   ResetLastError();
   a.status = WebRequest(method, g_tg_bridge.origin + path_qs, headers, TG_HTTP_TIMEOUT_MS, data.v, result.v,
                         a.headers);
   a.error = (a.status == -1) ? GetLastError() : 0;
   TgCharsToBytes(result, a.body);
   if(a.status >= 300)
     {
      a.code = TgErrorCode(a.body);
      a.message = TgErrorMessage(a.body);
      if(a.code == "")
         a.code = "http_" + IntegerToString(a.status);
     }
   TgLog(TG_LOG_DEBUG, "TradeGuard: " + method + " " + path_qs + " -> " + IntegerToString(a.status)
         + (a.code == "" ? "" : " " + a.code));
  }

// After a failed request: when may the next one go. A Retry-After (429, 503) is honoured; otherwise
// network errors and 503 back off 1, 2, 4 ... 60 s. The next attempt builds a fresh snapshot.
void TgBackOff(const TgAnswer &a, const string what)
  {
   g_tg_bridge.failures++;
   int wait_s = 1;
   for(int i = 1; i < g_tg_bridge.failures && wait_s < TG_BACKOFF_MAX_S; i++)
      wait_s = wait_s * 2;
   if(wait_s > TG_BACKOFF_MAX_S)
      wait_s = TG_BACKOFF_MAX_S;
   int retry_after = (a.status == 429 || a.status == 503) ? TgRetryAfter(a.headers) : -1;
   if(retry_after >= 0)
      wait_s = (retry_after > TG_RETRY_AFTER_MAX_S) ? TG_RETRY_AFTER_MAX_S : retry_after;
   if(wait_s * 1000 < g_tg_bridge.interval_ms && retry_after < 0)
      wait_s = g_tg_bridge.interval_ms / 1000;
   g_tg_bridge.next_at = GetTickCount() + (uint)(wait_s * 1000);
   string why;
   if(a.status == -1)
      why = "network error " + IntegerToString(a.error);
   else
      why = IntegerToString(a.status) + " " + a.code;
   if(a.status == 429)
      why = why + " (too many requests)";
   if(a.status == 503)
      why = why + " (server busy)";
   TgLog(TG_LOG_ERROR, "TradeGuard: " + what + " failed: " + why + "; next try in " + IntegerToString(wait_s)
         + " s with the latest state");
  }

void TgSucceeded()
  {
   g_tg_bridge.failures = 0;
  }

void TgHalt(const string text)
  {
   g_tg_bridge.halted = true;
   TermAlert("TradeGuard: " + text);
  }

// 4014: WebRequest is not allowed for this URL. Alerted once; the EA keeps trying (the list is read per call).
bool TgWebRequestRefused(const TgAnswer &a)
  {
   if(a.status != -1 || a.error != 4014)
      return false;
   if(!g_tg_bridge.alerted_4014)
     {
      g_tg_bridge.alerted_4014 = true;
      TermAlert("TradeGuard: WebRequest is not allowed for " + g_tg_bridge.origin
                + ". In MT5 open Tools > Options > Expert Advisors, tick 'Allow WebRequest for listed URL'"
                + " and add " + g_tg_bridge.origin + " (error 4014)");
     }
   return true;
  }

// Credentials the server refuses for good: stop and say what to fix.
bool TgCredentialsRefused(const TgAnswer &a)
  {
   if(a.status != 401 || a.code == "stale_timestamp")
      return false;
   TgHalt("the server refused this EA's credentials (" + a.code + ": " + a.message + "). Check the device id and"
          + " the secret from the bot's /link answer (sending /link again makes a new secret).");
   return true;
  }

//--- the server's clock from an HTTP Date header ("Date: Tue, 01 Dec 2026 20:58:00 GMT"), or -1
long TgMonthIndex(const string mon)
  {
   string months = "janfebmaraprmayjunjulaugsepoctnovdec";
   string m = mon;
   StringToLower(m);
   int at = StringFind(months, m);
   if(StringLen(m) != 3 || at < 0 || at % 3 != 0)
      return -1;
   return at / 3 + 1;
  }

long TgHttpDate(const string headers)
  {
   string lower = "\n" + headers;
   StringToLower(lower);
   int at = StringFind(lower, "\ndate:");
   if(at < 0)
      return -1;
   int from = at + 6;
   int eol = StringFind(lower, "\r", from);
   if(eol < 0)
      eol = StringFind(lower, "\n", from);
   string value = (eol < 0) ? StringSubstr(lower, from) : StringSubstr(lower, from, eol - from);
   StringTrimLeft(value);
   StringTrimRight(value);
   // "Tue, 01 Dec 2026 20:58:00 GMT"
   if(StringLen(value) < 29)
      return -1;
   int day = (int)StringToInteger(StringSubstr(value, 5, 2));
   long mon = TgMonthIndex(StringSubstr(value, 8, 3));
   int year = (int)StringToInteger(StringSubstr(value, 12, 4));
   int hh = (int)StringToInteger(StringSubstr(value, 17, 2));
   int mm = (int)StringToInteger(StringSubstr(value, 20, 2));
   int ss = (int)StringToInteger(StringSubstr(value, 23, 2));
   if(mon < 1 || day < 1 || year < 2000)
      return -1;
   return TgDaysFromCivil(year, (int)mon, day) * 86400 + hh * 3600 + mm * 60 + ss;
  }

//--- start: ping (credentials, clock, account), then the pending commands
void TgObey(const TgCommandList &cmds);

bool TgPing()
  {
   Bytes empty;
   TgAnswer a;
   TgRequest("GET", "/v1/bridge/ping", empty, a);
   if(a.status == 401 && a.code == "stale_timestamp")
     {
      long server_now = TgHttpDate(a.headers);
      if(server_now > 0)
        {
         g_tg_bridge.clock_offset = server_now - (long)TimeGMT();
         TgLog(TG_LOG_INFO, "TradeGuard: this PC's clock is " + IntegerToString(-g_tg_bridge.clock_offset)
               + " s off the server's; signing with the server's time (fix the clock: Windows > Date & time > Sync now)");
         TgRequest("GET", "/v1/bridge/ping", empty, a);
        }
     }
   if(TgWebRequestRefused(a) || TgCredentialsRefused(a))
     {
      if(!g_tg_bridge.halted)
         TgBackOff(a, "ping");
      return false;
     }
   if(a.status != 200)
     {
      TgBackOff(a, "ping");
      return false;
     }
   TgJsonDoc d;
   if(!TgJsonParse(a.body, d))
     {
      TgBackOff(a, "ping (answer is not JSON)");
      return false;
     }
   long server_ms = TgParseIsoMs(TgJsonGet(d, 0, "server_time", ""));
   if(server_ms > 0)
     {
      long offset = server_ms / 1000 - (long)TimeGMT();
      long skew = offset - g_tg_bridge.clock_offset;
      if(skew < 0)
         skew = -skew;
      if(skew >= 2)
         g_tg_bridge.clock_offset = offset;
      if(offset >= TG_SKEW_WARN_S || offset <= -TG_SKEW_WARN_S)
         TgLog(TG_LOG_INFO, "TradeGuard: this PC's clock is " + IntegerToString(-offset)
               + " s off the server's; the EA signs with the server's time");
     }
   long linked_login = StringToInteger(TgJsonGet(d, 0, "login", "0"));
   string linked_server = TgJsonGet(d, 0, "server", "");
   if(linked_login != g_tg_bridge.login || linked_server != g_tg_bridge.server)
     {
      TgHalt("wrong account. This device is linked to " + IntegerToString(linked_login) + " (" + linked_server
             + ") but this terminal is logged in to " + IntegerToString(g_tg_bridge.login) + " ("
             + g_tg_bridge.server + "). Attach the EA in the linked account's terminal, or /link this account"
             + " in the bot. The EA stops and sends nothing.");
      return false;
     }
   TgSucceeded();
   TgLog(TG_LOG_INFO, "TradeGuard: connected to " + g_tg_bridge.origin + g_tg_bridge.prefix + " as " + g_tg_bridge.device
         + ", account " + IntegerToString(g_tg_bridge.login) + " (" + g_tg_bridge.server + "), clock offset "
         + IntegerToString(g_tg_bridge.clock_offset) + " s" + (TgLocked() ? ", LOCKED" : ""));
   return true;
  }

void TgBridgeStart()
  {
   if(g_tg_bridge.halted || !TgDue(g_tg_bridge.next_at))
      return;
   TgAccount account;
   if(!TermAccount(account) || account.login <= 0 || account.server == "")
     {
      TgLog(TG_LOG_INFO, "TradeGuard: waiting for the terminal to log in to the trade server");
      g_tg_bridge.next_at = GetTickCount() + 2000;
      return;
     }
   g_tg_bridge.login = account.login;
   g_tg_bridge.server = account.server;
   g_tg_money_digits = account.money_digits;
   TgCommandsInit(account.login);
   if(!TgPing())
      return;
   g_tg_bridge.started = true;
   // seq: above the last one this terminal ever sent, and above the clock in ms (BRIDGE.md)
   double saved = 0.0;
   if(GlobalVariableCheck(TgSeqName()))
      saved = GlobalVariableGet(TgSeqName());
   g_tg_bridge.seq = (long)saved;
   double from = 0.0;
   if(GlobalVariableCheck(TgGvName("deal_from")))
      from = GlobalVariableGet(TgGvName("deal_from"));
   g_tg_bridge.deal_from = (from > 0.0) ? (datetime)(long)from : (datetime)(TgNowUtc() - TG_DEAL_MARGIN_S);
   Bytes empty;
   TgAnswer a;
   TgRequest("GET", "/v1/bridge/commands", empty, a);
   if(a.status == 200)
     {
      TgCommandList cmds;
      if(TgParseCommands(a.body, cmds) > 0)
         TgObey(cmds);
     }
   g_tg_bridge.next_at = GetTickCount();   // the first snapshot at once
  }

//--- the snapshot
bool TgSentBefore(const ulong ticket)
  {
   for(int i = 0; i < ArraySize(g_tg_bridge.sent_tickets); i++)
      if(g_tg_bridge.sent_tickets[i] == ticket)
         return true;
   return false;
  }

// The deals the server accepted: remembered within the margin; deal_from moves on (and persists).
void TgDealsAccepted(const TgDealList &deals)
  {
   datetime newest = g_tg_bridge.deal_from;
   for(int i = 0; i < ArraySize(deals.v); i++)
      if(deals.v[i].time > newest)
         newest = deals.v[i].time;
   int kept = 0;
   int n = ArraySize(g_tg_bridge.sent_tickets);
   for(int i = 0; i < n; i++)
      if(g_tg_bridge.sent_times[i] >= newest - TG_DEAL_MARGIN_S)
        {
         g_tg_bridge.sent_tickets[kept] = g_tg_bridge.sent_tickets[i];
         g_tg_bridge.sent_times[kept] = g_tg_bridge.sent_times[i];
         kept++;
        }
   int add = ArraySize(deals.v);
   ArrayResize(g_tg_bridge.sent_tickets, kept + add);
   ArrayResize(g_tg_bridge.sent_times, kept + add);
   for(int i = 0; i < add; i++)
     {
      g_tg_bridge.sent_tickets[kept + i] = deals.v[i].ticket;
      g_tg_bridge.sent_times[kept + i] = deals.v[i].time;
     }
   if(newest > g_tg_bridge.deal_from)
     {
      g_tg_bridge.deal_from = newest;
      GlobalVariableSet(TgGvName("deal_from"), (double)(long)newest);
     }
  }

string TgQuoteKey(const string symbol)
  {
   return "|" + symbol + "|";
  }

void TgAddQuote(TgQuoteList &quotes, string &seen, const string symbol)
  {
   if(symbol == "" || ArraySize(quotes.v) >= TG_MAX_QUOTES || StringFind(seen, TgQuoteKey(symbol)) >= 0)
      return;
   seen = seen + symbol + "|";
   TgQuote q;
   if(!TermQuoteOf(symbol, q))
      return;   // bid 0: not subscribed or no price yet; the server refuses a quote of 0
   int n = ArraySize(quotes.v);
   ArrayResize(quotes.v, n + 1);
   quotes.v[n].symbol = q.symbol;
   quotes.v[n].digits = q.digits;
   quotes.v[n].bid = q.bid;
   quotes.v[n].ask = q.ask;
   quotes.v[n].time = q.time;
  }

// The account now; false when the terminal switched to another account (the EA then stops).
bool TgBuildSnapshot(TgAccount &account, TgPositionList &positions, TgDealList &deals, TgQuoteList &quotes)
  {
   if(!TermAccount(account))
      return false;
   if(account.login != g_tg_bridge.login || account.server != g_tg_bridge.server)
     {
      TgHalt("the terminal switched to account " + IntegerToString(account.login) + " (" + account.server
             + "); this device is linked to " + IntegerToString(g_tg_bridge.login) + ". The EA stops.");
      return false;
     }
   g_tg_money_digits = account.money_digits;
   int total = TermPositionsTotal();
   if(total > TG_MAX_POSITIONS)
      total = TG_MAX_POSITIONS;
   ArrayResize(positions.v, total);
   int filled = 0;
   for(int i = 0; i < total; i++)
      if(TermPositionAt(i, positions.v[filled]) && positions.v[filled].volume > 0.0)
         filled++;
   ArrayResize(positions.v, filled);
   ArrayFree(deals.v);
   int found = TermDealsSince((datetime)(g_tg_bridge.deal_from - TG_DEAL_MARGIN_S));
   int n = 0;
   for(int i = 0; i < found && n < TG_MAX_DEALS; i++)
     {
      ArrayResize(deals.v, n + 1);
      if(!TermDealAt(i, deals.v[n]) || TgSentBefore(deals.v[n].ticket))
         continue;
      n++;
     }
   ArrayResize(deals.v, n);
   ArrayFree(quotes.v);
   string seen = "|";
   for(int i = 0; i < filled; i++)
      TgAddQuote(quotes, seen, positions.v[i].symbol);   // held symbols first
   int watched = TermWatchedTotal();
   for(int i = 0; i < watched && ArraySize(quotes.v) < TG_MAX_QUOTES; i++)
      TgAddQuote(quotes, seen, TermWatchedSymbol(i));
   return true;
  }

long TgNextSeq()
  {
   long now_ms = TgNowUtc() * 1000;
   long next = g_tg_bridge.seq + 1;
   return (now_ms > next) ? now_ms : next;
  }

// POST a snapshot; its commands go to `cmds`. False when it was not accepted (the cycle waits).
bool TgSendSnapshot(TgCommandList &cmds)
  {
   ArrayFree(cmds.v);
   TgAccount account;
   TgPositionList positions;
   TgDealList deals;
   TgQuoteList quotes;
   if(!TgBuildSnapshot(account, positions, deals, quotes))
      return false;
   long seq = TgNextSeq();
   Bytes body;
   TgSnapshotJson(seq, (datetime)TgNowUtc(), account, positions, deals, quotes, body);
   TgAnswer a;
   TgRequest("POST", "/v1/bridge/snapshot", body, a);
   g_tg_bridge.last_sent = GetTickCount();
   g_tg_bridge.seq = seq;   // used, whatever the answer: the next one is greater
   if(TgWebRequestRefused(a) || TgCredentialsRefused(a))
     {
      if(!g_tg_bridge.halted)
         TgBackOff(a, "snapshot");
      return false;
     }
   if(a.status == 401 && a.code == "stale_timestamp")
     {
      g_tg_bridge.started = false;   // ping again: it learns the clock offset
      TgBackOff(a, "snapshot");
      return false;
     }
   if(a.status == 400)
     {
      TgLog(TG_LOG_ERROR, "TradeGuard: the server refused the snapshot: " + a.code + ": " + a.message);
      TgBackOff(a, "snapshot");
      return false;
     }
   if(a.status != 200)
     {
      TgBackOff(a, "snapshot");
      return false;
     }
   TgSucceeded();
   GlobalVariableSet(TgSeqName(), (double)seq);
   TgJsonDoc d;
   bool duplicate = false;
   if(TgJsonParse(a.body, d))
     {
      duplicate = TgJsonGet(d, 0, "duplicate", "false") == "true";
      long answered = StringToInteger(TgJsonGet(d, 0, "seq", "0"));
      if(answered > g_tg_bridge.seq)
         g_tg_bridge.seq = answered;
     }
   if(!duplicate)
      TgDealsAccepted(deals);
   g_tg_bridge.snapshots++;
   string line = "TradeGuard: snapshot #" + IntegerToString(g_tg_bridge.snapshots) + " seq " + IntegerToString(seq)
                 + " equity " + DoubleToString(account.equity, account.money_digits) + " " + account.currency + ", "
                 + IntegerToString(ArraySize(positions.v)) + " position(s), " + IntegerToString(ArraySize(deals.v))
                 + " deal(s)" + (duplicate ? " (duplicate)" : "");
   TgLog(g_tg_bridge.snapshots == 1 ? TG_LOG_INFO : TG_LOG_DEBUG, line);
   if(TgParseCommands(a.body, cmds) < 0)
      TgLog(TG_LOG_ERROR, "TradeGuard: the snapshot answer has no commands list");
   return true;
  }

//--- commands and acks
int TgMemoryFind(const string id)
  {
   for(int i = 0; i < ArraySize(g_tg_bridge.memory_ids); i++)
      if(g_tg_bridge.memory_ids[i] == id)
         return i;
   return -1;
  }

void TgRemember(const string id, const string status, const Bytes &body)
  {
   int at = TgMemoryFind(id);
   if(at < 0)
     {
      int n = ArraySize(g_tg_bridge.memory_ids);
      if(n < TG_MEMORY)
        {
         ArrayResize(g_tg_bridge.memory_ids, n + 1);
         ArrayResize(g_tg_bridge.memory_status, n + 1);
         ArrayResize(g_tg_bridge.memory_body, n + 1);
         at = n;
        }
      else
        {
         at = g_tg_bridge.memory_next;
         g_tg_bridge.memory_next = (g_tg_bridge.memory_next + 1) % TG_MEMORY;
        }
     }
   g_tg_bridge.memory_ids[at] = id;
   g_tg_bridge.memory_status[at] = status;
   g_tg_bridge.memory_body[at] = CharArrayToString(body.v, 0, WHOLE_ARRAY, CP_UTF8);
  }

bool TgSendAck(const string id, const Bytes &body)
  {
   TgAnswer a;
   TgRequest("POST", "/v1/bridge/commands/" + id + "/ack", body, a);
   if(a.status == 200)
     {
      g_tg_bridge.acks++;
      return true;
     }
   if(a.status == 404)
      TgLog(TG_LOG_INFO, "TradeGuard: ack of " + id + ": the server no longer knows this command (expired)");
   else
      TgLog(TG_LOG_ERROR, "TradeGuard: ack of " + id + " failed (" + IntegerToString(a.status) + " " + a.code
            + "); it is sent again when the server repeats the command");
   return false;
  }

// Carry out each new command and ack it; a repeated one gets its ack again (a `partial` close_all is
// carried out again: the server repeats it for that). True if anything traded.
bool TgObeyList(const TgCommandList &cmds)
  {
   bool traded = false;
   for(int i = 0; i < ArraySize(cmds.v); i++)
     {
      string id = cmds.v[i].id;
      if(id == "")
         continue;
      int known = TgMemoryFind(id);
      if(known >= 0 && g_tg_bridge.memory_status[known] != "partial")
        {
         Bytes again;
         TgUtf8(g_tg_bridge.memory_body[known], again);
         TgLog(TG_LOG_INFO, "TradeGuard: " + cmds.v[i].type + " " + id + " repeated -> ack "
               + g_tg_bridge.memory_status[known] + " again");
         TgSendAck(id, again);
         continue;
        }
      TgOutcome o;
      TgExecute(cmds.v[i], o);
      traded = traded || o.traded;
      Bytes body;
      TgAckJson(o.ack, body);
      TgRemember(id, o.ack.status, body);
      string reason = (cmds.v[i].reason == "") ? "" : " (" + cmds.v[i].reason + ")";
      string failure = (o.ack.message == "") ? "" : ": " + o.ack.message;
      TgLog(TG_LOG_INFO, "TradeGuard: " + cmds.v[i].type + reason + " -> " + o.summary + ", ack " + o.ack.status
            + failure);
      for(int r = 0; r < ArraySize(o.ack.results); r++)
        {
         string line = "TradeGuard:   #" + IntegerToString((long)o.ack.results[r].ticket);
         if(o.ack.results[r].closed_volume > 0.0)
            line = line + " closed " + DoubleToString(o.ack.results[r].closed_volume, o.ack.results[r].volume_digits);
         if(o.ack.results[r].has_price)
            line = line + " at " + DoubleToString(o.ack.results[r].price, o.ack.results[r].digits);
         if(o.ack.results[r].has_profit)
            line = line + " profit " + DoubleToString(o.ack.results[r].profit, o.ack.results[r].money_digits);
         TgLog(TG_LOG_DEBUG, line);
        }
      if(TgSendAck(id, body) && cmds.v[i].type == "close_all" && o.ack.status == "done")
         g_tg_bridge.liquidated_now = true;
     }
   return traded;
  }

void TgObey(const TgCommandList &cmds)
  {
   TgObeyList(cmds);
  }

//--- the cycle: called from OnTimer (trade_event false) and OnTradeTransaction (true)
void TgBridgeTick(const bool trade_event)
  {
   if(g_tg_bridge.halted)
      return;
   if(trade_event)
      g_tg_bridge.dirty = true;
   if(!g_tg_bridge.started)
     {
      TgBridgeStart();
      return;
     }
   TgEnforceLock();   // while locked, a new position is closed before the server hears of it
   if(!TgDue(g_tg_bridge.next_at))
      return;          // waiting: after an error, or until the interval is up
   bool event_due = g_tg_bridge.dirty && (int)(GetTickCount() - g_tg_bridge.last_sent) >= TG_EVENT_GAP_MS;
   bool interval_due = (int)(GetTickCount() - g_tg_bridge.last_sent) >= g_tg_bridge.interval_ms - TG_EVENT_GAP_MS / 2;
   if(!event_due && !interval_due)
      return;
   g_tg_bridge.dirty = false;
   TgCommandList cmds;
   if(!TgSendSnapshot(cmds))
      return;
   for(int i = 0; i < TG_FOLLOW_UPS; i++)
     {
      if(!TgObeyList(cmds) || g_tg_bridge.halted)
         break;
      TgEnforceLock();
      if(!TgSendSnapshot(cmds))   // at once: the server sees the result of what it asked
         break;
     }
   g_tg_bridge.dirty = false;
   g_tg_bridge.next_at = GetTickCount();
  }

#endif
