/*-------------------------------------------------------------------------
 *
 * expr_number.c
 *		Exact decimal addition and subtraction of DynamoDB numbers, for the
 *		+ and - of UpdateExpression and for ADD.
 *
 * Both operands are parsed into DynamoNumber (av_number.c): at most 38
 * significant digits and a decimal exponent.  The sum is computed digit by
 * digit on a fixed array spanning every decimal position the operands can
 * have (exponents 126 down to -130-38), so it is exact; nothing goes
 * through float.  A result needs at most 38 significant digits and a
 * magnitude within DynamoDB's range.  DynamoDB reports a result with too
 * many significant digits (1E50 + 1) as "Number overflow" (recorded against
 * DynamoDB in ScyllaDB's test/alternator/test_number.py,
 * test_update_expression_plus_imprecise), and so do we.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "expr_internal.h"

/* Decimal positions: weight w is at index w - MIN_W. */
#define MAX_W	128
#define MIN_W	(-130 - DYNAMO_MAX_NUMBER_DIGITS - 2)
#define NPOS	(MAX_W - MIN_W + 1)

/* Add the digits of num (as a magnitude) into acc with sign sgn. */
static void
accumulate(int *acc, const DynamoNumber *num, int sgn)
{
	int			k;

	if (num->zero)
		return;
	for (k = 0; k < num->ndigits; k++)
		acc[num->adj - k - MIN_W] += sgn * (num->digits[k] - '0');
}

/* Parse a canonical number text; it is valid by construction. */
static void
parse_valid(const char *s, int len, DynamoNumber *num)
{
	if (dynamo_number_parse(s, len, num) != DYNAMO_NUM_OK)
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("%s: %.*s", dynamo_number_message(DYNAMO_NUM_NOT_NUMERIC), len, s));
}

static void
number_error(DynamoNumStatus st)
{
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
			errmsg("%s", dynamo_number_message(st)));
}

/* a + b, or a - b when subtract; the canonical text of the exact result. */
char *
dynamo_number_add(const char *a, int alen, const char *b, int blen, bool subtract)
{
	DynamoNumber x,
				y,
				r;
	int			acc[NPOS];
	int			sx,
				sy,
				i,
				first = -1,
				last = -1;
	bool		negative = false;

	parse_valid(a, alen, &x);
	parse_valid(b, blen, &y);
	memset(acc, 0, sizeof(acc));
	sx = x.negative ? -1 : 1;
	sy = (y.negative ? -1 : 1) * (subtract ? -1 : 1);
	accumulate(acc, &x, sx);
	accumulate(acc, &y, sy);

	/* the sign of the result is the sign of its highest non-zero position */
	for (i = NPOS - 1; i >= 0; i--)
		if (acc[i] != 0)
		{
			negative = acc[i] < 0;
			break;
		}
	if (negative)
		for (i = 0; i < NPOS; i++)
			acc[i] = -acc[i];
	/* normalise every position to 0..9 with carries and borrows */
	for (i = 0; i < NPOS - 1; i++)
	{
		while (acc[i] < 0)
		{
			acc[i] += 10;
			acc[i + 1]--;
		}
		if (acc[i] >= 10)
		{
			acc[i + 1] += acc[i] / 10;
			acc[i] %= 10;
		}
	}
	for (i = NPOS - 1; i >= 0; i--)
		if (acc[i] != 0)
		{
			if (first < 0)
				first = i;
			last = i;
		}
	memset(&r, 0, sizeof(r));
	if (first < 0)
	{
		r.zero = true;
		return dynamo_number_text(&r, NULL);
	}
	if (first + MIN_W > 125)
		number_error(DYNAMO_NUM_OVERFLOW);
	if (first - last + 1 > DYNAMO_MAX_NUMBER_DIGITS)
		number_error(DYNAMO_NUM_OVERFLOW);
	if (first + MIN_W < -130)
		number_error(DYNAMO_NUM_UNDERFLOW);
	r.negative = negative;
	r.adj = first + MIN_W;
	for (i = first; i >= last; i--)
		r.digits[r.ndigits++] = '0' + acc[i];
	r.digits[r.ndigits] = '\0';
	return dynamo_number_text(&r, NULL);
}
