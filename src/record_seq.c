/*-------------------------------------------------------------------------
 *
 * record_seq.c
 *		SequenceNumber and eventID of a stream record.
 *
 * A SequenceNumber is 40 decimal digits, fixed width, so that string order,
 * numeric order and commit order agree (docs/output-plugin.md, "Sequence
 * numbers"; the format is stable):
 *
 *		EEE LLLLLLLLLLLLLLLLLLLL CCCCCCCCCCCCCCCC P
 *
 *	* EEE: the database's epoch, 100-999 (the row of dynamo._source, 100
 *	  while it has none), raised when the database's records start coming
 *	  from a new source whose LSNs may be lower (a restored or moved
 *	  database, another node), so that numbers keep increasing across the
 *	  move.  It starts at 100 so that the number never has leading zeros;
 *	* L: the commit LSN, 20 digits (the whole uint64 range);
 *	* C: the change's number in its transaction, 16 digits, 1-based;
 *	* P: the record within the change: 0, 1 for the INSERT half of an
 *	  update that changed the primary key, 2 for the record of a
 *	  dynamo.refire message (record.h), which is how a refire record is
 *	  told apart once stored (dynamo_seq_is_refire).
 *
 * 16 digits of change number cannot overflow: every row change is a WAL
 * record of more than 24 bytes, so 10^16 changes in one transaction would
 * take more than 240 PB of WAL.  Should it happen anyway, decoding stops
 * with an error rather than wrap.
 *
 * The eventID is two 64-bit hashes (hash_bytes_extended, two seeds) of the
 * whole stream ARN followed by the SequenceNumber, as 32 lowercase hex
 * digits: stable when the same change is decoded again, distinct across
 * streams and records.  In SQL the same value is
 * lpad(to_hex(hashtextextended(arn || seq, 7239939240701681457)), 16, '0') ||
 * lpad(to_hex(hashtextextended(arn || seq, 8319400191411969842)), 16, '0').
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlogdefs.h"
#include "common/hashfn.h"

#include "decode.h"
#include "record.h"

#define CHANGE_DIGITS	16
#define CHANGE_LIMIT	UINT64CONST(10000000000000000)	/* 10^16 */

#define EVENT_ID_SEED_1	UINT64CONST(0x64796e616d6f5f31)
#define EVENT_ID_SEED_2	UINT64CONST(0x73747265616d5f32)

static const char hexdig[] = "0123456789abcdef";

/* Write n decimal digits of v, zero-padded, at buf. */
static inline void
put_digits(char *buf, uint64 v, int n)
{
	while (n-- > 0)
	{
		buf[n] = '0' + (v % 10);
		v /= 10;
	}
}

/*
 * Format a SequenceNumber (buf holds DYNAMO_SEQ_DIGITS + 1 bytes).  An
 * epoch outside 100-999 (the catalog's CHECK keeps it inside) is clamped.
 */
void
dynamo_sequence_number(char *buf, int epoch, XLogRecPtr commit_lsn,
					   uint64 change_no, int part)
{
	if (change_no >= CHANGE_LIMIT)
		ereport(ERROR,
				errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("transaction has too many changes for a dynamo_streams SequenceNumber"),
				errdetail("Change number " UINT64_FORMAT " of the transaction committed at %X/%X does not fit in %d digits.",
						  change_no, LSN_FORMAT_ARGS(commit_lsn), CHANGE_DIGITS));
	epoch = Max(DYNAMO_SEQ_EPOCH_MIN, Min(epoch, DYNAMO_SEQ_EPOCH_MAX));
	put_digits(buf, (uint64) epoch, 3);
	put_digits(buf + 3, commit_lsn, 20);
	put_digits(buf + 23, change_no, CHANGE_DIGITS);
	buf[23 + CHANGE_DIGITS] = '0' + part;
	buf[DYNAMO_SEQ_DIGITS] = '\0';
}

/* 32 lowercase hex digits from the whole stream ARN and the SequenceNumber. */
void
dynamo_event_id(char *buf, const char *arn, int arn_len, const char *seq)
{
	int			seq_len = strlen(seq);
	unsigned char local[512];
	unsigned char *tmp = local;
	uint64		h[2];
	int			i;
	int			j;

	/* usual ARNs are well under 200 bytes; a very long region is not */
	if (arn_len + seq_len > sizeof(local))
		tmp = palloc(arn_len + seq_len);
	memcpy(tmp, arn, arn_len);
	memcpy(tmp + arn_len, seq, seq_len);
	h[0] = hash_bytes_extended(tmp, arn_len + seq_len, EVENT_ID_SEED_1);
	h[1] = hash_bytes_extended(tmp, arn_len + seq_len, EVENT_ID_SEED_2);
	if (tmp != local)
		pfree(tmp);
	for (i = 0; i < 2; i++)
		for (j = 0; j < 16; j++)
			buf[i * 16 + j] = hexdig[(h[i] >> (60 - 4 * j)) & 15];
	buf[32] = '\0';
}

/* Is this the SequenceNumber of a refire record (part 2)? */
bool
dynamo_seq_is_refire(const char *seq)
{
	return strlen(seq) == DYNAMO_SEQ_DIGITS &&
		seq[DYNAMO_SEQ_DIGITS - 1] == '0' + DYNAMO_PART_REFIRE;
}
