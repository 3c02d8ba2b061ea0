// The documented events, one interface each; every event delivered on a subscription carries the envelope.
import type { Decimal } from "./json.js";

export interface Envelope {
  channel: string;
  sequence: number;
  timestamp: string;
  snapshot?: boolean;
  aggregation?: string;
}

type E<T extends string, F> = Envelope & { type: T } & F;
type Level = { price: Decimal; quantity: Decimal; action?: "update" | "delete" };

export type OrderCreated = E<"order_created", { account_id: string; order_id: string; symbol: string; side: string; order_type: string; quantity: Decimal; price: Decimal | null; status: string; client_order_id?: string | null; time_in_force?: "gtc" | "ioc" | "fok"; post_only?: boolean }>;
export type OrderUpdated = E<"order_updated", { account_id: string; order_id: string; status: string; filled: Decimal; average_fill_price: Decimal | null; client_order_id?: string | null }>;
export type OrderFilled = E<"order_filled", { account_id: string; order_id: string; quantity: Decimal; price: Decimal | null; fill_time: string; trade_id: string; client_order_id?: string | null }>;
export type OrderCancelled = E<"order_cancelled", { account_id: string; order_id: string; reason: string; client_order_id?: string | null }>;
export type TradeExecuted = E<"trade_executed", { account_id: string; trade_id: string; order_id: string; symbol: string; side: string; quantity: Decimal; price: Decimal; commission: Decimal; gross_amount: Decimal; net_amount: Decimal; executed_at: string }>;
export type TradeCancelled = E<"trade_cancelled", { trade_id: string; reason: string }>;
export type SettlementCreated = E<"settlement_created", { settlement_id: string; trade_id: string; symbol: string; quantity: Decimal; amount: Decimal; settlement_date: string }>;
export type SettlementConfirmed = E<"settlement_confirmed", { settlement_id: string; dvp_transaction_id: string }>;
export type SettlementFailed = E<"settlement_failed", { settlement_id: string; reason: string; error_message: string }>;
export type PriceUpdate = E<"price_update", { symbol: string; bid: Decimal | null; ask: Decimal | null; mid: Decimal | null; last_price: Decimal | null }>;
export type OrderbookUpdate = E<"orderbook_update", { symbol: string; changes: { bids?: Level[]; asks?: Level[] } }>;
export type OrderbookSnapshot = E<"orderbook_snapshot", { symbol: string; bids: Level[]; asks: Level[] }>;
export type BalanceUpdated = E<"balance_updated", { account_id: string; total_balance: Decimal; available_balance: Decimal; reserved_balance: Decimal }>;
export type MarginCall = E<"margin_call", { account_id: string; current_margin_level: Decimal; warning_level: Decimal; liquidation_level: Decimal; message: string }>;
export type DepositReceived = E<"deposit_received", { account_id: string; deposit_id: string; currency: string; amount: Decimal; transaction_hash: string }>;
export type WithdrawalProcessed = E<"withdrawal_processed", { account_id: string; withdrawal_id: string; currency: string; amount: Decimal; transaction_hash: string }>;
export type SuspiciousActivityDetected = E<"suspicious_activity_detected", { event_id: string; alert_id: string; account_id: string; activity_type: string; severity: string; description: string; action_required: boolean }>;
export type LargeTransactionAlert = E<"large_transaction_alert", { alert_id: string; account_id: string; transaction_type: string; amount: Decimal; threshold: Decimal }>;
export type KycStatusChanged = E<"kyc_status_changed", { account_id: string; new_status: string; previous_status: string; kyc_tier: string }>;
export type AlertUpdated = E<"alert_updated", { alert_id: string; account_id: string; alert_type: string; severity: string; change: string; status: string; previous_status: string; disposition: string | null; assignee: string | null; due_at: string; changed_by: string }>;
export type SystemStatus = E<"system_status", { status: string; all_services_healthy: boolean }>;
export type ServiceDegraded = E<"service_degraded", { service: string; status: string; message: string }>;
export type MaintenanceNotice = E<"maintenance_notice", { service: string; start_time: string; end_time: string; description: string }>;

/** A type this SDK does not describe (a newer server's, or the auction channels'): the message as received. */
export type UnknownEvent = Envelope & { type: string; [field: string]: unknown };

export type KnownEvent =
  | OrderCreated | OrderUpdated | OrderFilled | OrderCancelled | TradeExecuted | TradeCancelled
  | SettlementCreated | SettlementConfirmed | SettlementFailed | PriceUpdate | OrderbookUpdate | OrderbookSnapshot
  | BalanceUpdated | MarginCall | DepositReceived | WithdrawalProcessed | SuspiciousActivityDetected
  | LargeTransactionAlert | KycStatusChanged | AlertUpdated | SystemStatus | ServiceDegraded | MaintenanceNotice;

export type StreamEvent = KnownEvent | UnknownEvent;

/** What the client itself tells the application. */
export type Notice =
  | { kind: "connected"; reconnect: boolean; accountId: string | null }
  | { kind: "disconnected"; code: number | null; reason: string; retryInMs: number | null }
  | { kind: "subscribed"; channel: string; key: string | null; recovered: boolean | null; replayed: number }
  /** Events of this stream may be lost: reload its state over REST, then apply what follows. */
  | { kind: "resync"; channel: string; key: string | null; reason: string; sequence: number | null; hint: string | null }
  | { kind: "error"; code: string; message: string; details: Record<string, unknown>; correlationId?: unknown };
