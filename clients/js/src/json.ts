// Lossless JSON: the gateway writes money and quantities as JSON numbers with up to 12 integer and 8 fractional
// digits, more than a double holds (JSON.parse would round 123456789012.12345678). lossless-json reads every number
// from its source text; decimals become strings with the exact digits (`Decimal`), and only the protocol's counters
// (sequence numbers, counts, limits) become plain numbers.
import { LosslessNumber, isLosslessNumber, parse, stringify } from "lossless-json";

/** An exact decimal as the gateway wrote it, e.g. "150.25" (use a decimal library for arithmetic). */
export type Decimal = string;

const COUNTERS = new Set([
  "sequence", "replayed", "retry_after_ms", "limit_per_s", "limit", "size", "max_depth", "refused", "correlation_id",
  "count", // DELETE /v1/orders: how many orders were cancelled
]);

export function parseMessage(text: string): any {
  return parse(text, (key, value) => {
    if (!isLosslessNumber(value)) return value;
    return COUNTERS.has(key) ? Number(value.toString()) : value.toString();
  });
}

/** JSON text for a request; values wrapped with `exact()` are written as JSON numbers digit for digit. */
export function stringifyMessage(value: unknown): string {
  return stringify(value) ?? "null";
}

/** A decimal to send as a JSON number (not a string): `exact("150.25")`. */
export function exact(value: Decimal | number | bigint): LosslessNumber {
  return new LosslessNumber(String(value));
}
