/*-------------------------------------------------------------------------
 *
 * av_number.c
 *		DynamoDB numbers: parsing, range checks, canonical text, storage size
 *		and numeric comparison.
 *
 * Syntax.  A number is what Java's BigDecimal accepts: an optional sign, digits
 * with an optional decimal point (at least one digit in all), and an optional
 * exponent "e"/"E" with an optional sign and at least one digit.  No spaces,
 * no "NaN", no "Infinity", no hexadecimal.  An exponent that does not fit a
 * signed 64-bit integer makes the text unconvertible, as in DynamoDB.
 *
 * Limits.  At most 38 significant digits (leading and trailing zeros do not
 * count); a non-zero magnitude between 1E-130 and
 * 9.9999999999999999999999999999999999999E+125.  Zero is range-checked by the
 * exponent it is written with, like DynamoDB: "0e126" overflows, "0e-131"
 * underflows, "0e125" is 0.
 *
 * Canonical text.  What DynamoDB returns: plain notation (no exponent), no
 * leading zeros except the single "0" before a fraction, no trailing zeros in
 * the fraction, no "+", and zero is "0" whatever its sign.  So "1.50" is
 * "1.5", "1E2" is "100", "-0" is "0", "0.00100" is "0.001".
 *
 * Storage size (SPEC 4.2).  DynamoDB stores numbers like Oracle's NUMBER: an
 * exponent byte and base-100 digit pairs aligned on the decimal point, with
 * leading and trailing zero pairs dropped; a negative number takes one more
 * byte (a terminator) unless it already has 20 digit pairs.  Zero is 1 byte.
 * Every figure measured against AWS that we know of fits this rule: "42" 2,
 * "101" 3, "1723213300" 5, "1762875051" 6, "1.5" 3, "0.15" 2, "100.5" 4,
 * "3.14159" 5, "-42" 3, "1E125" 2, 38 digits 20.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "av_internal.h"

/* Exponents are clamped to this magnitude; far beyond any valid number. */
#define EXP_CLAMP	((int64) 1000000000000)

/* Largest and smallest decimal exponent of a non-zero DynamoDB number. */
#define MAX_ADJ		125
#define MIN_ADJ		(-130)

/* The exponent part starting at s[*i] (after the 'e'); false if malformed. */
static bool
parse_exponent(const char *s, int len, int *i, int64 *exp, bool *convertible)
{
	bool		neg = false;
	uint64		mag = 0;
	bool		huge = false;
	int			start;

	if (*i < len && (s[*i] == '+' || s[*i] == '-'))
	{
		neg = (s[*i] == '-');
		(*i)++;
	}
	start = *i;
	for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++)
	{
		if (mag > (PG_UINT64_MAX - 9) / 10)
			huge = true;
		else
			mag = mag * 10 + (s[*i] - '0');
	}
	if (*i == start)
		return false;
	/* Beyond a signed 64-bit integer: DynamoDB cannot convert the text. */
	if (huge || mag > (uint64) PG_INT64_MAX + (neg ? 1 : 0))
		*convertible = false;
	if (mag > (uint64) EXP_CLAMP)
		mag = EXP_CLAMP;
	*exp = neg ? -(int64) mag : (int64) mag;
	return true;
}

/* Parse a number text; on DYNAMO_NUM_OK *num holds its value. */
DynamoNumStatus
dynamo_number_parse(const char *s, int len, DynamoNumber *num)
{
	int			i = 0;
	int			pos = 0;
	int			nint = 0;
	int			nfrac = 0;
	int			first = -1;
	int			last = -1;
	int64		exp = 0;
	int64		adj;
	bool		convertible = true;
	bool		seen_point = false;
	int			mant_start;

	memset(num, 0, sizeof(*num));
	if (i < len && (s[i] == '+' || s[i] == '-'))
		num->negative = (s[i++] == '-');
	mant_start = i;
	for (; i < len; i++)
	{
		if (s[i] == '.')
		{
			if (seen_point)
				return DYNAMO_NUM_NOT_NUMERIC;
			seen_point = true;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			break;
		if (s[i] != '0')
		{
			if (first < 0)
				first = pos;
			last = pos;
		}
		if (seen_point)
			nfrac++;
		else
			nint++;
		pos++;
	}
	if (nint + nfrac == 0)
		return DYNAMO_NUM_NOT_NUMERIC;
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		i++;
		if (!parse_exponent(s, len, &i, &exp, &convertible))
			return DYNAMO_NUM_NOT_NUMERIC;
	}
	if (i != len || !convertible)
		return DYNAMO_NUM_NOT_NUMERIC;

	if (first < 0)
	{
		/* Zero: range-checked by the exponent of its last written digit. */
		num->zero = true;
		num->negative = false;
		adj = exp - nfrac;
		if (adj > MAX_ADJ)
			return DYNAMO_NUM_OVERFLOW;
		if (adj < MIN_ADJ)
			return DYNAMO_NUM_UNDERFLOW;
		return DYNAMO_NUM_OK;
	}
	if (last - first + 1 > DYNAMO_MAX_NUMBER_DIGITS)
		return DYNAMO_NUM_TOO_MANY_DIGITS;
	adj = (int64) (nint - 1 - first) + exp;
	if (adj > MAX_ADJ)
		return DYNAMO_NUM_OVERFLOW;
	if (adj < MIN_ADJ)
		return DYNAMO_NUM_UNDERFLOW;
	num->adj = (int) adj;

	/* Copy the significant digits, skipping the decimal point. */
	pos = 0;
	for (i = mant_start; pos <= last; i++)
	{
		if (s[i] == '.')
			continue;
		if (pos >= first)
			num->digits[num->ndigits++] = s[i];
		pos++;
	}
	num->digits[num->ndigits] = '\0';
	return DYNAMO_NUM_OK;
}

/* Canonical text of a parsed number (palloc'd); *len receives its length. */
char *
dynamo_number_text(const DynamoNumber *num, int *len)
{
	/* sign, up to 126 integer digits or "0." and 129 zeros, the digits */
	char	   *buf = palloc(num->ndigits + Abs(num->adj) + 4);
	char	   *p = buf;
	int			k;

	if (num->zero)
		*p++ = '0';
	else
	{
		if (num->negative)
			*p++ = '-';
		if (num->adj >= 0)
		{
			/* adj + 1 integer digits, then the rest as the fraction */
			for (k = 0; k <= num->adj; k++)
				*p++ = k < num->ndigits ? num->digits[k] : '0';
			if (num->ndigits > num->adj + 1)
			{
				*p++ = '.';
				memcpy(p, num->digits + num->adj + 1, num->ndigits - num->adj - 1);
				p += num->ndigits - num->adj - 1;
			}
		}
		else
		{
			*p++ = '0';
			*p++ = '.';
			for (k = 0; k < -num->adj - 1; k++)
				*p++ = '0';
			memcpy(p, num->digits, num->ndigits);
			p += num->ndigits;
		}
	}
	*p = '\0';
	if (len)
		*len = (int) (p - buf);
	return buf;
}

/* floor(a / 2) for any sign. */
static inline int
floor_half(int a)
{
	return (a >= 0) ? a / 2 : -((-a + 1) / 2);
}

/* Storage size in bytes of a parsed number (see the file header). */
int
dynamo_number_storage(const DynamoNumber *num)
{
	int			pairs;

	if (num->zero)
		return 1;
	/* digit k has decimal weight adj - k; pairs are weights {2j+1, 2j} */
	pairs = floor_half(num->adj) - floor_half(num->adj - num->ndigits + 1) + 1;
	return 1 + pairs + ((num->negative && pairs < 20) ? 1 : 0);
}

/* AWS's wording for a failed parse (without the attribute). */
const char *
dynamo_number_message(DynamoNumStatus status)
{
	switch (status)
	{
		case DYNAMO_NUM_NOT_NUMERIC:
			return "The parameter cannot be converted to a numeric value";
		case DYNAMO_NUM_TOO_MANY_DIGITS:
			return "Attempting to store more than 38 significant digits in a Number";
		case DYNAMO_NUM_OVERFLOW:
			return "Number overflow. Attempting to store a number with magnitude larger than supported range";
		case DYNAMO_NUM_UNDERFLOW:
			return "Number underflow. Attempting to store a number with magnitude smaller than supported range";
		case DYNAMO_NUM_OK:
			break;
	}
	return "no error";
}

/* Canonical text of str, or a ValidationException naming attr. */
char *
dynamo_number_normalize(const char *str, int len, const char *attr)
{
	DynamoNumber num;
	DynamoNumStatus st = dynamo_number_parse(str, len, &num);

	if (st == DYNAMO_NUM_OK)
		return dynamo_number_text(&num, NULL);
	/* AWS names the bad text (not an empty one); the attribute goes in DETAIL */
	ereport(ERROR,
			attr ? dynamo_exception_detail(DYNAMO_EXC_VALIDATION,
										   "The error is at attribute \"%s\".", attr) :
			dynamo_exception(DYNAMO_EXC_VALIDATION),
			(st == DYNAMO_NUM_NOT_NUMERIC && len > 0) ?
			errmsg("%s: %.*s%s", dynamo_number_message(st),
				   len <= 100 ? len : pg_mbcliplen(str, len, 100), str,
				   len > 100 ? "..." : "") :
			errmsg("%s", dynamo_number_message(st)));
	return NULL;				/* keep the compiler quiet */
}

/* Storage size of a valid number text; 0 if the text is not valid. */
int
dynamo_number_size(const char *str, int len)
{
	DynamoNumber num;

	if (dynamo_number_parse(str, len, &num) != DYNAMO_NUM_OK)
		return 0;
	return dynamo_number_storage(&num);
}

/* Compare two magnitudes in canonical text (no sign). */
static int
cmp_magnitude(const char *a, int alen, const char *b, int blen)
{
	const char *adot = memchr(a, '.', alen);
	const char *bdot = memchr(b, '.', blen);
	int			ai = adot ? (int) (adot - a) : alen;
	int			bi = bdot ? (int) (bdot - b) : blen;
	int			aeff = (ai == 1 && a[0] == '0') ? 0 : ai;
	int			beff = (bi == 1 && b[0] == '0') ? 0 : bi;
	int			c;
	int			af,
				bf;

	if (aeff != beff)
		return aeff < beff ? -1 : 1;
	c = memcmp(a, b, ai);
	if (c != 0)
		return c < 0 ? -1 : 1;
	/* equal integer parts: compare fractions (no trailing zeros) */
	af = adot ? alen - ai - 1 : 0;
	bf = bdot ? blen - bi - 1 : 0;
	c = memcmp(a + alen - af, b + blen - bf, Min(af, bf));
	if (c != 0)
		return c < 0 ? -1 : 1;
	return (af == bf) ? 0 : (af < bf ? -1 : 1);
}

/* Numeric comparison of two canonical number texts. */
int
dynamo_number_cmp(const char *a, int alen, const char *b, int blen)
{
	bool		an = (alen > 0 && a[0] == '-');
	bool		bn = (blen > 0 && b[0] == '-');
	int			as = (alen == 1 && a[0] == '0') ? 0 : (an ? -1 : 1);
	int			bs = (blen == 1 && b[0] == '0') ? 0 : (bn ? -1 : 1);
	int			c;

	if (as != bs)
		return as < bs ? -1 : 1;
	if (as == 0)
		return 0;
	c = cmp_magnitude(a + an, alen - an, b + bn, blen - bn);
	return as > 0 ? c : -c;
}
