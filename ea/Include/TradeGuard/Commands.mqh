//+------------------------------------------------------------------+
//| Commands.mqh: what the EA does with a server command (BRIDGE.md  |
//| "Commands"): close_all, close_position, open_position, lock,     |
//| unlock, and the lock's sweep. Shared: the same text compiles as  |
//| MQL5 and, with ea/shim/mql5_shim.hpp, as C++17 (CI drives it     |
//| against ea/shim/fake_terminal.hpp).                              |
//|                                                                  |
//| The terminal is reached only through the Term* functions below,  |
//| implemented by Terminal.mqh (MQL5) and fake_terminal.hpp (C++).  |
//+------------------------------------------------------------------+
#ifndef TRADEGUARD_COMMANDS_MQH
#define TRADEGUARD_COMMANDS_MQH

#define TG_ORDER_COMMENT_MAX  31     // MT5's order comment (BRIDGE.md: "tg:" + a signal id of at most 28)
#define TG_CLOSE_PASSES       4      // close_all: sweeps (each ends with a re-scan)
#define TG_RESCAN_PAUSE_MS    150    // between sweeps: let a reopening EA show its hand
#define TG_LOCK_SWEEP_MAX     50     // positions closed by one lock sweep, at most
#define TG_CLOSE_MAX          500    // closes in one close_all (BRIDGE.md: at most 500 positions)

#define TG_LOG_ERROR 0
#define TG_LOG_INFO  1
#define TG_LOG_DEBUG 2

int g_tg_log_level = TG_LOG_INFO;
int g_tg_money_digits = 2;   // the account currency's digits (TermAccount), for profits in acks

void TgLog(const int level, const string text)
  {
   if(level <= g_tg_log_level)
      Print(text);
  }

//--- what one trade request did
struct TermResult
  {
   bool              ok;
   int               retcode;
   string            message;         // why it failed ("" when ok)
   long              ticket;          // the position closed or opened
   double            volume;          // closed (or opened) volume
   int               volume_digits;
   double            price;
   int               price_digits;
   bool              has_price;
   double            profit;          // of the close deal, when the history already has it
   bool              has_profit;
  };

//--- the Term* interface: Terminal.mqh (MQL5) and ea/shim/fake_terminal.hpp (C++). Times are UTC seconds.
bool   TermAccount(TgAccount &a);
bool   TermHedging();
int    TermPositionsTotal();
bool   TermPositionAt(const int index, TgPosition &p);
bool   TermClose(const long ticket, const double volume, TermResult &r);   // volume <= 0: the whole position
bool   TermOpen(const string symbol, const string side, const double volume, const double sl, const double tp,
                const string comment, const long magic, TermResult &r);
int    TermDealsSince(const datetime from_utc);                         // selects, oldest first; -1: no history
bool   TermDealAt(const int index, TgDeal &d);
int    TermWatchedTotal();
string TermWatchedSymbol(const int index);
bool   TermQuoteOf(const string symbol, TgQuote &q);                    // false: no price yet (bid 0)
bool   TermTradeAllowed(string &why);

//--- the outcome of one command: the ack to send and a line for the log
struct TgOutcome
  {
   TgAck             ack;             // status, results, message
   string            summary;
   bool              traded;
  };

void TgResultClear(TermResult &r)
  {
   r.ok = false;
   r.retcode = 0;
   r.message = "";
   r.ticket = 0;
   r.volume = 0.0;
   r.volume_digits = 2;
   r.price = 0.0;
   r.price_digits = 5;
   r.has_price = false;
   r.profit = 0.0;
   r.has_profit = false;
  }

void TgOutcomeReset(TgOutcome &o)
  {
   o.ack.status = "done";
   o.ack.message = "";
   ArrayFree(o.ack.results);
   o.summary = "";
   o.traded = false;
  }

int TgOutcomeCount(const TgOutcome &o)
  {
   return ArraySize(o.ack.results);
  }

void TgOutcomeAdd(TgOutcome &o, const TermResult &r, const bool opened)
  {
   int n = ArraySize(o.ack.results);
   if(n >= TG_CLOSE_MAX || ArrayResize(o.ack.results, n + 1) != n + 1)
      return;
   o.ack.results[n].ticket = (ulong)r.ticket;
   o.ack.results[n].closed_volume = opened ? 0.0 : r.volume;   // an open closes nothing
   o.ack.results[n].volume_digits = r.volume_digits;
   o.ack.results[n].has_price = r.has_price;
   o.ack.results[n].price = r.price;
   o.ack.results[n].digits = r.price_digits;
   o.ack.results[n].has_profit = r.has_profit;
   o.ack.results[n].profit = r.profit;
   o.ack.results[n].money_digits = g_tg_money_digits;
   o.ack.results[n].message = r.message;
  }

void TgOutcomeFail(TgOutcome &o, const string message, const string summary)
  {
   o.ack.status = "failed";
   o.ack.message = message;
   o.summary = summary;
  }

//--- the lock: terminal global variables, so it survives a restart of the terminal or of the EA
string g_tg_gv_prefix = "TG.0.";

void TgCommandsInit(const long login)
  {
   g_tg_gv_prefix = "TG." + IntegerToString(login) + ".";
  }

string TgGvName(const string name)
  {
   return g_tg_gv_prefix + name;
  }

bool TgLocked()
  {
   string name = TgGvName("locked");
   return GlobalVariableCheck(name) && GlobalVariableGet(name) > 0.5;
  }

// Positions with a ticket above this mark were opened after the lock (MT5 tickets only grow).
long TgLockTicket()
  {
   string name = TgGvName("lock_ticket");
   if(!GlobalVariableCheck(name))
      return 0;
   return (long)GlobalVariableGet(name);
  }

long TgMaxOpenTicket()
  {
   long best = 0;
   int total = TermPositionsTotal();
   for(int i = 0; i < total; i++)
     {
      TgPosition p;
      if(TermPositionAt(i, p) && (long)p.ticket > best)
         best = (long)p.ticket;
     }
   return best;
  }

// Lock: positions open now may stay, any later one is closed at once. A second lock keeps the first mark.
void TgLock(const string why)
  {
   if(TgLocked())
      return;
   GlobalVariableSet(TgGvName("lock_ticket"), (double)TgMaxOpenTicket());
   GlobalVariableSet(TgGvName("locked"), 1.0);
   GlobalVariablesFlush();
   TgLog(TG_LOG_INFO, "TradeGuard: locked (" + why + "): any new position will be closed at once");
  }

void TgUnlock()
  {
   GlobalVariableSet(TgGvName("locked"), 0.0);
   GlobalVariableDel(TgGvName("lock_ticket"));
   GlobalVariablesFlush();
   TgLog(TG_LOG_INFO, "TradeGuard: unlocked");
  }

string TgTicketKey(const long ticket)
  {
   return "," + IntegerToString(ticket) + ",";
  }

// While locked: close every position opened after the lock, recorded in `o` when `record` (close_all).
// Returns how many it closed. Bounded: at most TG_LOCK_SWEEP_MAX closes per call.
int TgSweepLock(TgOutcome &o, const bool record)
  {
   if(!TgLocked())
      return 0;
   long mark = TgLockTicket();
   int closed = 0;
   string refused = ",";
   for(int sweep = 0; sweep < TG_LOCK_SWEEP_MAX; sweep++)
     {
      long target = 0;
      int total = TermPositionsTotal();
      for(int i = 0; i < total && target == 0; i++)
        {
         TgPosition p;
         if(!TermPositionAt(i, p) || (long)p.ticket <= mark)
            continue;
         if(StringFind(refused, TgTicketKey((long)p.ticket)) < 0)
            target = (long)p.ticket;
        }
      if(target == 0)
         break;
      TermResult r;
      TgResultClear(r);
      if(TermClose(target, 0.0, r))
        {
         closed++;
         string line = "TradeGuard: locked: closed #" + IntegerToString(target) + " at "
                       + DoubleToString(r.price, r.price_digits);
         if(r.has_profit)
            line = line + ", profit " + DoubleToString(r.profit, 2);
         TgLog(TG_LOG_INFO, line);
         if(record)
            TgOutcomeAdd(o, r, false);
        }
      else
        {
         refused = refused + IntegerToString(target) + ",";
         TgLog(TG_LOG_ERROR, "TradeGuard: locked: could not close #" + IntegerToString(target) + ": " + r.message);
        }
     }
   return closed;
  }

int TgEnforceLock()
  {
   TgOutcome unused;
   TgOutcomeReset(unused);
   return TgSweepLock(unused, false);
  }

//--- close_all: lock first, then the largest loss first, then the rest; re-scan; report what is left
void TgCloseAll(const string reason, TgOutcome &o)
  {
   TgLock(reason);   // before the first order: a grid EA's reopen is closed by the lock, not chased
   string why = "";
   if(!TermTradeAllowed(why))
     {
      TgOutcomeFail(o, why, "cannot trade: " + why);
      return;
     }
   string refused = ",";
   string last_error = "";
   int attempts = 0;
   for(int pass = 0; pass < TG_CLOSE_PASSES && attempts < TG_CLOSE_MAX; pass++)
     {
      int closed_this_pass = 0;
      while(attempts < TG_CLOSE_MAX)
        {
         // the worst open position not refused yet; positions that appeared meanwhile are in the scan too
         long worst = 0;
         double worst_pl = 0.0;
         int total = TermPositionsTotal();
         for(int i = 0; i < total; i++)
           {
            TgPosition p;
            if(!TermPositionAt(i, p) || StringFind(refused, TgTicketKey((long)p.ticket)) >= 0)
               continue;
            double pl = p.profit + p.swap;
            if(worst == 0 || pl < worst_pl)
              {
               worst = (long)p.ticket;
               worst_pl = pl;
              }
           }
         if(worst == 0)
            break;
         attempts++;
         TermResult r;
         TgResultClear(r);
         if(TermClose(worst, 0.0, r))
           {
            TgOutcomeAdd(o, r, false);
            closed_this_pass++;
            o.traded = true;
            TgLog(TG_LOG_DEBUG, "TradeGuard: close_all closed #" + IntegerToString(worst) + " (P&L "
                  + DoubleToString(worst_pl, 2) + ")");
           }
         else
           {
            refused = refused + IntegerToString(worst) + ",";
            last_error = "#" + IntegerToString(worst) + ": " + r.message;
            TgLog(TG_LOG_ERROR, "TradeGuard: close_all could not close " + last_error);
           }
        }
      if(closed_this_pass == 0)
         break;
      Sleep(TG_RESCAN_PAUSE_MS);   // then re-scan: whatever opened while we closed is closed too
     }
   int left = TermPositionsTotal();
   int closed = TgOutcomeCount(o);
   if(left == 0)
     {
      o.ack.status = "done";
      o.summary = "closed " + IntegerToString(closed) + " position(s)";
      return;
     }
   o.ack.status = (closed > 0) ? "partial" : "failed";
   if(last_error != "")
      o.ack.message = IntegerToString(left) + " position(s) still open; " + last_error;
   else
      o.ack.message = IntegerToString(left) + " position(s) still open after " + IntegerToString(TG_CLOSE_PASSES)
                      + " sweeps (another EA keeps opening them)";
   o.summary = "closed " + IntegerToString(closed) + " position(s), " + IntegerToString(left) + " still open";
  }

void TgClosePosition(const TgCommand &c, TgOutcome &o)
  {
   if(c.ticket == 0)
     {
      TgOutcomeFail(o, "invalid command: no ticket", "not executed");
      return;
     }
   if(c.has_volume && !(c.volume > 0.0))
     {
      TgOutcomeFail(o, "invalid command: volume " + c.volume_text + " must be > 0", "not executed");
      return;
     }
   string why = "";
   if(!TermTradeAllowed(why))
     {
      TgOutcomeFail(o, why, "cannot trade: " + why);
      return;
     }
   TermResult r;
   TgResultClear(r);
   if(!TermClose((long)c.ticket, c.has_volume ? c.volume : 0.0, r))
     {
      TgOutcomeFail(o, r.message, "could not close #" + IntegerToString((long)c.ticket));
      return;
     }
   TgOutcomeAdd(o, r, false);
   o.traded = true;
   o.ack.status = "done";
   o.summary = "closed " + DoubleToString(r.volume, r.volume_digits) + " of #" + IntegerToString((long)c.ticket)
               + " at " + DoubleToString(r.price, r.price_digits);
  }

string TgOpenComment(const string signal_id)
  {
   string comment = "tg";
   if(signal_id != "")
      comment = "tg:" + signal_id;
   return TgClip(comment, TG_ORDER_COMMENT_MAX);
  }

void TgOpenPosition(const TgCommand &c, TgOutcome &o)
  {
   if(TgLocked())
     {
      TgOutcomeFail(o, "account is locked", "refused");
      return;
     }
   if(c.symbol == "" || (c.side != "buy" && c.side != "sell") || !(c.volume > 0.0))
     {
      TgOutcomeFail(o, "invalid command: symbol, side (buy|sell) and a volume > 0 are required", "not executed");
      return;
     }
   string why = "";
   if(!TermTradeAllowed(why))
     {
      TgOutcomeFail(o, why, "cannot trade: " + why);
      return;
     }
   TermResult r;
   TgResultClear(r);
   if(!TermOpen(c.symbol, c.side, c.volume, c.sl, c.tp, TgOpenComment(c.signal_id), TG_MAGIC, r))
     {
      TgOutcomeFail(o, r.message, "could not open " + c.symbol + " " + c.side);
      return;
     }
   TgOutcomeAdd(o, r, true);
   o.traded = true;
   o.ack.status = "done";   // a partial fill is still done: `partial` would make the server open a second one
   if(r.volume + 0.0000001 < c.volume)
      o.ack.message = "partial fill: " + DoubleToString(r.volume, r.volume_digits) + " of " + c.volume_text
                      + " lots (retcode " + IntegerToString(r.retcode) + ")";
   o.summary = "opened #" + IntegerToString(r.ticket) + " " + c.symbol + " " + c.side + " "
               + DoubleToString(r.volume, r.volume_digits) + " at " + DoubleToString(r.price, r.price_digits);
  }

// Carry out one command; `o` is the ack to send and the line to log.
void TgExecute(const TgCommand &c, TgOutcome &o)
  {
   TgOutcomeReset(o);
   if(c.type == "close_all")
      TgCloseAll(c.reason, o);
   else if(c.type == "close_position")
      TgClosePosition(c, o);
   else if(c.type == "open_position")
      TgOpenPosition(c, o);
   else if(c.type == "lock")
     {
      TgLock(c.reason);
      o.summary = "locked";
     }
   else if(c.type == "unlock")
     {
      TgUnlock();
      o.summary = "unlocked";
     }
   else
      TgOutcomeFail(o, "unknown command type " + c.type, "not understood");
  }

#endif
