/*-------------------------------------------------------------------------
 *
 * record_jsonb.h
 *		A cursor over the entries of a jsonb container, shared by the
 *		writers of record_item.c and record_marshall.c.
 *
 * Walking a container's JEntry array sequentially (offsets accumulate
 * entry by entry) is what lets those writers go straight from jsonb to
 * JSON text in one pass, without JsonbIterator.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_RECORD_JSONB_H
#define DYNAMO_RECORD_JSONB_H

#include "utils/jsonb.h"

/* A cursor over the entries of one jsonb container. */
typedef struct JCursor
{
	JsonbContainer *jc;
	char	   *base;			/* start of the entries' data */
	uint32		off;			/* offset of the current entry's data */
	int			i;				/* index of the current entry */
} JCursor;

/* Position a cursor on entry i of a container (i = 0 or the value half). */
static inline void
cursor_init(JCursor *cur, JsonbContainer *jc, int i)
{
	int			nchildren = JsonContainerSize(jc);

	if (JsonContainerIsObject(jc))
		nchildren *= 2;
	cur->jc = jc;
	cur->base = (char *) &jc->children[nchildren];
	cur->i = i;
	cur->off = (i == 0) ? 0 : getJsonbOffset(jc, i);
}

/* Length of the current entry's data; advance to the next entry. */
static inline uint32
cursor_next(JCursor *cur, uint32 *start)
{
	JEntry		je = cur->jc->children[cur->i];
	uint32		end;

	*start = cur->off;
	if (JBE_HAS_OFF(je))
		end = JBE_OFFLENFLD(je);
	else
		end = cur->off + JBE_OFFLENFLD(je);
	cur->off = end;
	cur->i++;
	return end - *start;
}

#endif							/* DYNAMO_RECORD_JSONB_H */
