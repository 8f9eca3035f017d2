// test/e2e/lib/values.mjs: compare DynamoDB values independently of their
// representation.
//
// canonicalFromAttr() turns AttributeValue JSON (what a test wrote) and
// canonicalFromNative() turns what @aws-sdk/util-dynamodb's unmarshall()
// returned (with wrapNumbers) into one plain form, so that a test can
// assert with deepStrictEqual that the SDK recovered exactly the values
// written: numbers compare by value (1.50 equals 1.5, 3E+2 equals 300),
// binary by bytes, sets ignoring order.

// Canonical text of a decimal number: sign, digits without leading or
// trailing zeros, and the exponent of the last digit, e.g. "-15e-1".
export function canonicalNumber(text) {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(String(text).trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`not a number: ${text}`);
  let digits = (m[2] + (m[3] ?? '')).replace(/^0+/, '');
  let exp = BigInt(m[4] ?? 0) - BigInt((m[3] ?? '').length);
  if (digits === '') return '0';
  while (digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    exp += 1n;
  }
  return `${m[1] === '-' ? '-' : ''}${digits}e${exp}`;
}

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const sortedSet = (items) => ({ Set: items.map((x) => JSON.stringify(x)).sort() });

// Canonical form of one AttributeValue (as JSON, e.g. {"N":"1.50"}).
export function canonicalFromAttr(av) {
  const keys = Object.keys(av);
  if (keys.length !== 1) throw new Error(`not one type key: ${JSON.stringify(av)}`);
  const [t] = keys;
  const v = av[t];
  switch (t) {
    case 'S': return v;
    case 'N': return { N: canonicalNumber(v) };
    case 'B': return { B: b64(Buffer.from(v, 'base64')) };
    case 'BOOL': return v;
    case 'NULL': return null;
    case 'M': return canonicalItemFromAttr(v);
    case 'L': return v.map(canonicalFromAttr);
    case 'SS': return sortedSet(v);
    case 'NS': return sortedSet(v.map((n) => ({ N: canonicalNumber(n) })));
    case 'BS': return sortedSet(v.map((b) => ({ B: b64(Buffer.from(b, 'base64')) })));
    default: throw new Error(`unknown type ${t}`);
  }
}

// Canonical form of an item (map of attribute name to AttributeValue).
export function canonicalItemFromAttr(item) {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, canonicalFromAttr(v)]));
}

// Canonical form of a native value from unmarshall(..., {wrapNumbers: true}).
export function canonicalFromNative(v) {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number' || typeof v === 'bigint') throw new Error(`unwrapped number ${v}`);
  if (v instanceof Uint8Array) return { B: b64(v) };
  if (v instanceof Set) return sortedSet([...v].map(canonicalFromNative));
  if (Array.isArray(v)) return v.map(canonicalFromNative);
  if (typeof v === 'object' && typeof v.value === 'string' && typeof v.toBigInt === 'function') {
    return { N: canonicalNumber(v.value) };
  }
  if (typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canonicalFromNative(x)]));
  }
  throw new Error(`unexpected native value ${String(v)}`);
}

// An image as the AWS SDK's JSON deserializer hands it to unmarshall():
// binary (B, BS) decoded from base64 into Uint8Array.  unmarshall() itself
// passes B through untouched, so on raw event JSON it returns base64 text.
export function withBinary(av) {
  if (Array.isArray(av)) return av.map(withBinary);
  if (av === null || typeof av !== 'object') return av;
  return Object.fromEntries(Object.entries(av).map(([k, v]) => {
    if (k === 'B' && typeof v === 'string') return [k, new Uint8Array(Buffer.from(v, 'base64'))];
    if (k === 'BS' && Array.isArray(v)) {
      return [k, v.map((b) => new Uint8Array(Buffer.from(b, 'base64')))];
    }
    return [k, withBinary(v)];
  }));
}
