//+------------------------------------------------------------------+
//| TradeGuardBridge.mq5: the TradeGuard bridge Expert Advisor.      |
//| Pushes this account's state to the TradeGuard server and obeys   |
//| its commands (BRIDGE.md v1). Install and use: docs/ea.md.        |
//|                                                                  |
//| This file is MQL5 only (inputs and event handlers). The protocol |
//| core lives in Include/TradeGuard/*.mqh, most of it shared with   |
//| the C++ test programs in ea/shim (see ea/README.md).             |
//+------------------------------------------------------------------+
#property copyright   "TradeGuard"
#property version     "1.00"
#property description "TradeGuard bridge: sends this account's state to TradeGuard and carries out its commands"
#property description "(close on a drawdown breach, lock, signals). Needs Tools > Options > Expert Advisors >"
#property description "Allow WebRequest for the bridge URL. Guide: docs/ea.md"

enum TgLogLevel
  {
   TG_LEVEL_ERRORS = 0,   // errors only
   TG_LEVEL_INFO   = 1,   // connection, commands, trades (default)
   TG_LEVEL_DEBUG  = 2    // every request and answer
  };

input string     InpBridgeUrl        = "https://bridge.example.com"; // Bridge URL (from the bot's /link answer)
input string     InpDeviceId         = "";                           // Device id
input string     InpSecret           = "";                           // Secret (64 hex characters)
input int        InpSnapshotSeconds  = 2;                            // Snapshot interval, seconds
input TgLogLevel InpLogLevel         = TG_LEVEL_INFO;                // Log level
input bool       InpAutoTradingOffOnLiquidation = false;            // Turn AutoTrading off on liquidation (needs DLL imports)

#include <TradeGuard\Platform.mqh>
#include <TradeGuard\Hmac.mqh>
#include <TradeGuard\Json.mqh>
#include <TradeGuard\Wire.mqh>
#include <TradeGuard\Commands.mqh>
#include <TradeGuard\Bridge.mqh>
#include <TradeGuard\Terminal.mqh>

// The terminal's own "AutoTrading" toolbar command, posted to its main window (as EarnForex's Account
// Protector does). It is a toggle, undocumented, Windows only: see docs/ea.md before switching it on.
#import "user32.dll"
long GetAncestor(long hwnd, uint flags);
int  PostMessageW(long hwnd, uint msg, long wparam, long lparam);
#import

#define TG_GA_ROOT            2
#define TG_WM_COMMAND         0x0111
#define TG_CMD_AUTOTRADING    32851
#define TG_TIMER_MS           250

bool g_tg_running = false;

int OnInit()
  {
   g_tg_log_level = (int)InpLogLevel;
   if(MQLInfoInteger(MQL_TESTER))
     {
      Print("TradeGuard: WebRequest does not work in the Strategy Tester; attach the EA to a live or demo chart");
      return INIT_FAILED;
     }
   string problem = "";
   if(!TgBridgeConfigure(InpBridgeUrl, InpDeviceId, InpSecret, InpSnapshotSeconds, problem))
     {
      Alert("TradeGuard: " + problem);
      return INIT_PARAMETERS_INCORRECT;
     }
   if(InpAutoTradingOffOnLiquidation && !MQLInfoInteger(MQL_DLLS_ALLOWED))
      Print("TradeGuard: 'Turn AutoTrading off on liquidation' is on but DLL imports are not allowed:"
            + " it will be skipped (the lock still closes any new position)");
   if(!EventSetMillisecondTimer(TG_TIMER_MS))
     {
      Alert("TradeGuard: could not start the timer");
      return INIT_FAILED;
     }
   g_tg_running = true;
   // No request here: the first timer event (250 ms) pings. A refusal (wrong account, bad secret) is
   // alerted there and removes the EA; OnInit stays short and never waits on the network.
   return INIT_SUCCEEDED;
  }

void OnDeinit(const int reason)
  {
   EventKillTimer();
   GlobalVariablesFlush();
   if(g_tg_running)
      TgLog(TG_LOG_INFO, "TradeGuard: stopped (deinit reason " + IntegerToString(reason) + ")");
   g_tg_running = false;
  }

void TgAutoTradingOffIfAsked()
  {
   if(!g_tg_bridge.liquidated_now)
      return;
   g_tg_bridge.liquidated_now = false;
   if(!InpAutoTradingOffOnLiquidation)
      return;
   if(!MQLInfoInteger(MQL_DLLS_ALLOWED))
     {
      Print("TradeGuard: liquidation done; AutoTrading left on (DLL imports are not allowed)");
      return;
     }
   if(!TerminalInfoInteger(TERMINAL_TRADE_ALLOWED))
      return;   // already off: the command is a toggle, posting it would switch AutoTrading back on
   long chart = ChartGetInteger(0, CHART_WINDOW_HANDLE);
   long root = GetAncestor(chart, TG_GA_ROOT);
   if(root == 0)
     {
      Print("TradeGuard: could not find the terminal window to turn AutoTrading off");
      return;
     }
   PostMessageW(root, TG_WM_COMMAND, TG_CMD_AUTOTRADING, 0);
   Alert("TradeGuard: account liquidated; AutoTrading turned OFF for every EA (TradeGuard too)."
         + " Turn it on again only after an admin unlocks the account.");
  }

void OnTimer()
  {
   if(!g_tg_running)
      return;
   TgBridgeTick(false);
   TgAutoTradingOffIfAsked();
   if(g_tg_bridge.halted)
     {
      EventKillTimer();
      g_tg_running = false;
      ExpertRemove();
     }
  }

void OnTradeTransaction(const MqlTradeTransaction &trans, const MqlTradeRequest &request, const MqlTradeResult &result)
  {
   if(!g_tg_running)
      return;
   if(trans.type != TRADE_TRANSACTION_DEAL_ADD && trans.type != TRADE_TRANSACTION_POSITION)
      return;
   TgBridgeTick(true);   // the lock's sweep first, then a snapshot now (coalesced: at most one per 250 ms)
   TgAutoTradingOffIfAsked();
  }
