/**
 * A DynamoDB number in one canonical spelling. DynamoDB stores `1.50` and
 * returns `1.5`, so a key value is bound by its numeric value, not its text:
 * `[-]digits` with no leading or trailing zeros, then `E` and the exponent.
 * Returns undefined for text that is not a number.
 */
export function canonicalNumber(text: string): string | undefined {
  const match = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (!match) return undefined;
  const [, sign = "", whole = "", fraction = "", exponentText = "0"] = match;
  if (whole === "" && fraction === "") return undefined;
  let digits = (whole + fraction).replace(/^0+/, "");
  let exponent = Number.parseInt(exponentText, 10) - fraction.length;
  if (digits === "") return "0";
  const trailing = /0+$/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  return `${sign === "-" ? "-" : ""}${digits}E${exponent}`;
}
