#!/usr/bin/env python3
"""Fuzz driver for dynamo_streams (test/fuzz/run.sh runs it).

  fuzz.py gen --seed N --count M   print a psql script: a preamble (fresh
                                   extension, helper functions, fixed item
                                   tables) and M random statements, one a line
  fuzz.py check SCRIPT ERRFILE SERVERLOG
                                   judge a run: exit 1 on a crash, an assertion
                                   failure, a WARNING, an internal error
                                   (SQLSTATE XX...), a failed property, or an
                                   error of a dynamo.* call whose message does
                                   not start with an AWS exception name

Statements throw random and adversarial input at every SQL function of the
extension: AttributeValues of every type with wrong JSON types, NULL false,
bad numbers and base64, empty and duplicate sets, deep nesting, huge strings,
\\u0000 and surrogate pairs; wrong key types and sizes; malformed key
condition expressions; random update and condition expressions (update_item,
conditional put_item and delete_item); projections, filters and Select on
get_item, query, scan and batch_get_item; exclusive start keys of the wrong
shape; batches with
unknown tables; odd table names; NULL arguments; plain SQL writes.
Properties (validation is idempotent, sizes agree, put then get round-trips,
every stored row is normalised and its key columns match, pagination visits
every item once in key order) are checked by helper functions that raise
SQLSTATE FZ001.  Uses only the Python standard library.
"""
import json
import random
import re
import sys

R = random.Random()

# ---------------------------------------------------------------------------
# Values that render to SQL: Big(c, n) is repeat(c, n) inside a JSON string or
# text literal; Raw(text) is JSON text inserted as is.


class Big:
    def __init__(self, c, n):
        self.c, self.n = c, n


class Raw:
    def __init__(self, text):
        self.text = text


def parts(obj, out):
    """Append the JSON text of obj to out as ('lit', s) / ('sql', expr)."""
    if isinstance(obj, Big):
        out.append(('lit', '"'))
        out.append(('sql', "repeat(%s, %d)" % (sqlstr(obj.c), obj.n)))
        out.append(('lit', '"'))
    elif isinstance(obj, Raw):
        out.append(('lit', obj.text))
    elif isinstance(obj, dict):
        out.append(('lit', '{'))
        for i, (k, v) in enumerate(obj.items()):
            if i:
                out.append(('lit', ','))
            parts(k, out)
            out.append(('lit', ':'))
            parts(v, out)
        out.append(('lit', '}'))
    elif isinstance(obj, list):
        out.append(('lit', '['))
        for i, v in enumerate(obj):
            if i:
                out.append(('lit', ','))
            parts(v, out)
        out.append(('lit', ']'))
    else:
        out.append(('lit', json.dumps(obj)))


def sqlstr(s):
    """A SQL text literal of a Python string (newlines via chr())."""
    if isinstance(s, Big):
        return "repeat(%s, %d)" % (sqlstr(s.c), s.n)
    if s is None:
        return 'NULL'
    pieces = re.split(r'([\n\r\t])', s)
    out = []
    for p in pieces:
        if p in ('\n', '\r', '\t'):
            out.append('chr(%d)' % ord(p))
        elif p:
            out.append("'" + p.replace("'", "''") + "'")
    if not out:
        return "''"
    return out[0] if len(out) == 1 else '(' + ' || '.join(out) + ')'


def jsonb(obj):
    """A SQL jsonb expression of a generated object (NULL for None)."""
    if obj is None:
        return 'NULL::jsonb'
    ps = []
    parts(obj, ps)
    merged = []
    for kind, s in ps:
        if merged and merged[-1][0] == 'lit' and kind == 'lit':
            merged[-1] = ('lit', merged[-1][1] + s)
        else:
            merged.append((kind, s))
    sql = ' || '.join(sqlstr(s) if k == 'lit' else s for k, s in merged)
    return '(%s)::jsonb' % sql

# ---------------------------------------------------------------------------
# Generators


STRINGS = ['', 'a', 'abc', ' ', 'é', '日本語', '\U0001F600', 'a\u0301', '\ufeff',
           '\u2028', "it's", '"q"', '\\', 'x\ny', '\t', '\u00ff\u0100', 'A' * 99,
           '\U0010FFFF', 'null', 'true', '0', '-1', 'S', 'N', 'M', 'NULL']


def gen_str(allow_big=True):
    r = R.random()
    if r < 0.6:
        return R.choice(STRINGS)
    if r < 0.8 or not allow_big:
        return ''.join(R.choice('abcXYZ09_-. é日') for _ in range(R.randint(1, 12)))
    return Big(R.choice(['x', 'é', '日']), R.choice([1023, 1024, 1025, 2047, 2048, 2049, 65535, 65536, 136530, 409590, 420000]))


NUMBERS = ['0', '-0', '+0', '0.0', '00', '1', '-1', '+1', '1.50', '1.5', '.5', '5.', '-.5',
           '1e2', '1E+2', '1e-2', '0.001', '0.00100', '100', '1E-130', '1E-131', '-1E-130',
           '9.9999999999999999999999999999999999999E+125', '1E126', '-1E126', '1e125',
           '12345678901234567890123456789012345678', '123456789012345678901234567890123456789',
           '0.12345678901234567890123456789012345678', '1234567890123456789012345678901234567800000',
           '000000000000000000000000000000000000000001', '1.00000000000000000000000000000000000000000',
           '0e126', '0e-131', '0e125', '1e9223372036854775807', '1e-9223372036854775808',
           '1e9223372036854775808', '1e99999999999999999999999', '1e-99999999999999999999999',
           ' 1', '1 ', '', '-', '+', '.', 'e5', '1e', '1e+', '1e-', '--1', '1.2.3', '0x10',
           'NaN', 'Infinity', '-Infinity', 'inf', '1_000', '١', '1,5', '1e1.5', '١٢', '½',
           '42', '101', '1723213300', '1762875051', '-42', '3.14159']


GOOD_NUMBERS = ['0', '-0', '1', '-1', '1.50', '1.5', '.5', '5.', '1e2', '0.00100', '100', '1E-130',
                '-1E-130', '9.9999999999999999999999999999999999999E+125', '1e125', '42', '-42',
                '12345678901234567890123456789012345678', '0e125', '+1', '3.14159']


def gen_num():
    r = R.random()
    if r < 0.6:
        return R.choice(GOOD_NUMBERS)
    if r < 0.8:
        return R.choice(NUMBERS)
    if r < 0.9:
        return str(R.randint(-10**40, 10**40)) + R.choice(['', 'e' + str(R.randint(-140, 140))])
    return R.choice([Big('1', 100000), Big('0', 50000), '0.' + '0' * 129 + '1', '0.' + '0' * 130 + '1',
                     '1' + '0' * 125, '1' + '0' * 126])


B64 = ['', '=', '==', '===', 'A===', 'AA==', 'AB==', 'YR==', 'YQ==', 'YWI=', 'YWJ=', 'AAAA', 'AAA=',
       'A', 'AA', 'AAAAA', 'AA=A', ' AAA', 'AA\nA', '////', '++++', '-_-_', 'YWJj', 'YWJjZA==',
       'YWJjZA', 'é===', 'AAAA====']


def gen_b64():
    r = R.random()
    if r < 0.6:
        return R.choice(['', 'AA==', 'YQ==', 'YWI=', 'YWJj', 'AAAA', '////', '++++', 'AB==', 'YR=='])
    if r < 0.85:
        return R.choice(B64)
    return R.choice([Big('A', 2732), Big('A', 2736), Big('A', 1364), Big('A', 1368), Big('A', 400000), Big('/', 8)])


TYPES = ['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS']


def gen_name():
    r = R.random()
    if r < 0.85:
        return R.choice(['a', 'b', 'c', 'id', 'sk', 'pk', 'item', 'Id', 'x.y', 'a b', '#a', ':v', 'n', 'r', 'k'])
    if r < 0.87:
        return ''
    if r < 0.9:
        return gen_str(False)
    return R.choice([Big('n', 65535), Big('n', 65536), Big('é', 40000)])


def gen_scalar_json():
    return R.choice([None, True, False, 0, 1, -1.5, 1e308, 'x', '', [], {}, [None], {'S': 'x'}])


def gen_av(depth=0):
    if R.random() < 0.04:
        return gen_bad_av(depth)
    t = R.choice(TYPES) if depth < 6 else R.choice(['S', 'N', 'BOOL', 'NULL'])
    if t == 'S':
        return {'S': gen_str()}
    if t == 'N':
        return {'N': gen_num()}
    if t == 'B':
        return {'B': gen_b64()}
    if t == 'BOOL':
        return {'BOOL': R.random() < 0.5}
    if t == 'NULL':
        return {'NULL': True if R.random() < 0.9 else False}
    if t == 'M':
        return {'M': {gen_name(): gen_av(depth + 1) for _ in range(R.randint(0, 3))}}
    if t == 'L':
        return {'L': [gen_av(depth + 1) for _ in range(R.randint(0, 3))]}
    g = {'SS': gen_str, 'NS': gen_num, 'BS': gen_b64}[t]
    members = [g() for _ in range(R.randint(0, 4))]
    if members and R.random() < 0.08:
        members.append(members[0])
    return {t: members}


def gen_bad_av(depth):
    r = R.randint(0, 12)
    t = R.choice(TYPES)
    if r == 0:
        return {t: gen_scalar_json()}
    if r == 1:
        return {}
    if r == 2:
        return {'S': 'a', 'N': '1'}
    if r == 3:
        return {R.choice(['s', 'X', '', 'Ss', 'BOOLEAN', 'N ']): 'x'}
    if r == 4:
        return {t: None}
    if r == 5:
        return {'S': None, 'N': '1'}
    if r == 6:
        return gen_scalar_json()
    if r == 7:
        return [gen_av(depth + 1)]
    if r == 8:
        return {t: [gen_scalar_json()]}
    if r == 9:
        return deep_av(R.choice([30, 31, 32, 33, 40]))
    if r == 10:
        return Raw('{"S":' + '[' * 3000 + ']' * 3000 + '}')
    if r == 11:
        return {'NULL': R.choice([False, 'true', 1, None])}
    return {'M': {'a': gen_av(depth + 1), '': gen_av(depth + 1)}}


def deep_av(levels, kind=None):
    kind = kind or R.choice(['M', 'L'])
    text = ''
    for _ in range(levels):
        text += '{"M":{"a":' if kind == 'M' else '{"L":['
    text += '{"S":"x"}'
    for _ in range(levels):
        text += '}}' if kind == 'M' else ']}'
    return Raw(text)


def gen_item_attrs(n=None):
    return {gen_name(): gen_av() for _ in range(R.randint(0, 3) if n is None else n)}

# ---------------------------------------------------------------------------
# Tables


TABLES = [  # name, hash key, type, range key, type
    ('h_S', 'id', 'S', None, None), ('h_N', 'id', 'N', None, None), ('h_B', 'id', 'B', None, None),
    ('hSrS', 'pk', 'S', 'sk', 'S'), ('hNrN', 'a', 'N', 'b', 'N'), ('hBrB', 'k', 'B', 'r', 'B'),
    ('t.a-b_c', 'id', 'S', 'n', 'N'), ('...', 'id', 'S', None, None),
]

NAMES = ['h_S', 'h_N', 'h_B', 'hSrS', 'hNrN', 'hBrB', 't.a-b_c', 'nope', 'ab', 'a', '', None,
         'a"b', "x'y", 'ta b', '_tables', 'pg_class', 'dynamo._tables', '..', '...', '---', 'HS',
         'täb', 'x' * 63, 'x' * 64, 'x' * 255, 'x' * 256, 'hS ', ' hS', 'hS;DROP TABLE x', '%s%n',
         'new.1', 'new-2', 'new_3']


def key_value(ktype, good=True):
    if not good or R.random() < 0.05:
        return R.choice([{'S': ''}, {'B': ''}, {'N': 'x'}, {'SS': ['a']}, {'NULL': True},
                         {'S': Big('k', 2049)}, {'S': Big('k', 1025)}, {'B': Big('A', 2736)},
                         {'S': Big('k', 2048)}, {'S': Big('é', 1024)}, {'N': '1e200'}, {'BOOL': True},
                         gen_av()])
    if ktype == 'S':
        return {'S': R.choice(['a', 'b', 'é', '日本', 'A', 'a\u0301', 'zz', '\U0001F600', 'ab', 'a b'])}
    if ktype == 'N':
        return {'N': R.choice(['0', '1', '-1', '1.5', '1.50', '-0.001', '1e5', '100000', '42', '1E-130'])}
    return {'B': R.choice(['AA==', 'AQ==', '/w==', 'AAE=', 'YWI=', 'YWJj', 'AAAA', 'AB=='])}


def table_key(t, good=True):
    name, hk, ht, rk, rt = t
    k = {hk: key_value(ht, good)}
    if rk:
        k[rk] = key_value(rt, good)
    if R.random() < 0.05:
        k.pop(hk)
    if R.random() < 0.05:
        k['extra'] = {'S': 'x'}
    return k


def gen_item_for(t):
    item = gen_item_attrs()
    item.update(table_key(t))
    return item


def rand_table():
    return R.choice(TABLES)


def rand_name():
    return R.choice([t[0] for t in TABLES] + NAMES) if R.random() < 0.9 else gen_str()


def gen_expr(t):
    name, hk, ht, rk, rt = t
    if R.random() < 0.6:
        e = '%s = :h' % R.choice([hk, '#h'])
        if rk and R.random() < 0.8:
            op = R.choice(['=', '<', '<=', '>', '>=', 'BETWEEN', 'begins_with'])
            r = R.choice([rk, '#r'])
            if op == 'BETWEEN':
                e += ' AND %s BETWEEN :a AND :b' % r
            elif op == 'begins_with':
                e += ' AND begins_with(%s, :a)' % r
            else:
                e += ' AND %s %s :a' % (r, op)
        if R.random() < 0.3:
            e = '(' * R.randint(1, 5) + e + ')' * R.randint(0, 6)
        if R.random() < 0.3:  # mutate
            i = R.randint(0, len(e))
            e = e[:i] + R.choice(['(', ')', ',', ':', '#', ' AND ', ' OR ', 'NOT ', '=', '<>', '!', '"', "'",
                                  'é', ' IN ', 'BETWEEN', ':zz', '#zz', '', '\n']) + e[i:]
        return e
    toks = [hk, rk or 'x', '#h', '#r', ':h', ':a', ':b', '=', '<', '<=', '>', '>=', '<>', 'BETWEEN',
            'AND', 'OR', 'NOT', 'IN', 'begins_with', 'contains', '(', ')', ',', 'size', '!', '@', 'é',
            ':', '#', '', 'and', 'between', 'attribute_exists']
    return ' '.join(R.choice(toks) for _ in range(R.randint(0, 9)))


EXPR_PATHS = ['a', 'b', 'c', '#n', '#m', 'a.b', 'a[0]', 'a[1].b', '#n.c[2]', 'l[3]', 'm.x.y', 'Year', 'a' * 70]
EXPR_VALUES = [':s', ':n', ':l', ':m', ':ss', ':ns', ':bs', ':b', ':z', ':big']


def gen_operand():
    r = R.random()
    if r < 0.4:
        return R.choice(EXPR_PATHS)
    if r < 0.7:
        return R.choice(EXPR_VALUES)
    if r < 0.8:
        return 'size(%s)' % R.choice(EXPR_PATHS + EXPR_VALUES)
    return 'if_not_exists(%s, %s)' % (R.choice(EXPR_PATHS), R.choice(EXPR_VALUES))


def gen_cond_expr(depth=0):
    r = R.random()
    if depth < 4 and r < 0.25:
        return '(%s %s %s)' % (gen_cond_expr(depth + 1), R.choice(['AND', 'OR', 'and']), gen_cond_expr(depth + 1))
    if depth < 4 and r < 0.3:
        return 'NOT ' + gen_cond_expr(depth + 1)
    if r < 0.55:
        return '%s %s %s' % (gen_operand(), R.choice(['=', '<>', '<', '<=', '>', '>=']), gen_operand())
    if r < 0.65:
        return '%s BETWEEN %s AND %s' % (gen_operand(), gen_operand(), gen_operand())
    if r < 0.72:
        return '%s IN (%s)' % (gen_operand(), ', '.join(gen_operand() for _ in range(R.randint(1, 4))))
    if r < 0.9:
        f = R.choice(['attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains'])
        return '%s(%s)' % (f, ', '.join(gen_operand() for _ in range(R.randint(1, 3))))
    toks = ['a', ':s', '#n', '=', '(', ')', 'AND', 'OR', 'NOT', 'BETWEEN', 'IN', ',', '.', '[', ']', '1',
            'size', '!', 'é', ':', '#', 'SET']
    return ' '.join(R.choice(toks) for _ in range(R.randint(0, 8)))


def gen_update_expr():
    secs = []
    for kw in R.sample(['SET', 'REMOVE', 'ADD', 'DELETE'], R.randint(1, 4)):
        acts = []
        for _ in range(R.randint(1, 3)):
            p = R.choice(EXPR_PATHS)
            if kw == 'SET':
                v = gen_operand()
                if R.random() < 0.3:
                    v = '%s %s %s' % (v, R.choice(['+', '-']), gen_operand())
                if R.random() < 0.15:
                    v = 'list_append(%s, %s)' % (gen_operand(), gen_operand())
                acts.append('%s = %s' % (p, v))
            elif kw == 'REMOVE':
                acts.append(p)
            else:
                acts.append('%s %s' % (p, R.choice(EXPR_VALUES)))
        secs.append('%s %s' % (kw if R.random() < 0.9 else kw.lower(), ', '.join(acts)))
    e = ' '.join(secs)
    if R.random() < 0.2:  # mutate
        i = R.randint(0, len(e))
        e = e[:i] + R.choice(['(', ')', ',', ':', '#', ' SET ', '=', '+', '!', 'é', '[', ']', '.', '']) + e[i:]
    return e


def gen_expr_names():
    r = R.random()
    if r < 0.1:
        return R.choice([None, {}, {'#n': 1}, {'n': 'a'}, {'#n': ''}])
    return {'#n': R.choice(['a', 'b', 'x.y', 'é', '']), '#m': 'm'}


def gen_expr_values():
    r = R.random()
    if r < 0.05:
        return R.choice([None, {}, {':s': {}}, {'s': {'S': 'x'}}])
    v = {':s': {'S': R.choice(['x', 'ab', ''])}, ':n': {'N': R.choice(['1', '-2.5', '1E125', '9.9999999999999999999999999999999999999E125', '1E-130'])},
         ':l': {'L': [gen_av() for _ in range(R.randint(0, 3))]}, ':m': {'M': {'x': {'N': '1'}}},
         ':ss': {'SS': ['x', 'y']}, ':ns': {'NS': ['1', '2']}, ':bs': {'BS': ['AQ==']}, ':b': {'B': 'AQ=='},
         ':z': {'NULL': True}, ':big': {'N': '12345678901234567890123456789012345678'}}
    if R.random() < 0.1:
        v[':n'] = gen_bad_av(0)
    return v


def used_only(text, names, vals):
    """Mostly keep only the placeholders text uses, so that expressions get evaluated."""
    if R.random() < 0.8:
        if isinstance(names, dict):
            names = {k: v for k, v in names.items() if re.search(re.escape(k) + r'(?!\w)', text)} or None
        if isinstance(vals, dict):
            vals = {k: v for k, v in vals.items() if re.search(re.escape(k) + r'(?!\w)', text)} or None
    return names, vals


def gen_values(t):
    name, hk, ht, rk, rt = t
    v = {':h': key_value(ht, R.random() < 0.85)}
    if rk:
        v[':a'] = key_value(rt, R.random() < 0.85)
        v[':b'] = key_value(rt, R.random() < 0.85)
    r = R.random()
    if r < 0.05:
        return None
    if r < 0.1:
        return R.choice([[], 'x', {}, {':h': 'x'}, {':h': None}])
    if r < 0.2:
        v[':extra'] = {'S': 'x'}
    return v


def gen_names(t):
    name, hk, ht, rk, rt = t
    r = R.random()
    if r < 0.4:
        return None
    if r < 0.5:
        return R.choice([[], 'x', {}, {'#h': 1}, {'#h': None}, {'#h': ''}])
    n = {'#h': hk}
    if rk:
        n['#r'] = rk
    return n


def opt(v, p=0.1):
    return None if R.random() < p else v


def lit_or_null(s):
    return sqlstr(s) if s is not None else 'NULL'


def stmt_av():
    f = R.choice(['validate_item', 'item_size', 'marshall', 'unmarshall', '_stored_item_size',
                  '_check_item', '_key_value', 'prop'])
    item = gen_item_attrs() if R.random() < 0.8 else R.choice([gen_av(), gen_scalar_json(), []])
    if R.random() < 0.03:
        item = Raw('{"a":' + '[' * 5000 + ']' * 5000 + '}')
    if R.random() < 0.05:
        item = None
    if f == 'marshall' and R.random() < 0.5:
        item = R.choice([{'a': 1.5, 'b': [1, 'x', None, True, {'c': 1e125}]}, 1, 'x', None, [1, 2],
                         {'n': 1e126}, {'n': 12345678901234567890123456789012345678901},
                         {'d': json.loads('[' * 200 + ']' * 200)},
                         Raw('{"d":' + '[' * 5000 + ']' * 5000 + '}')])
    if f == 'prop':
        return "SELECT fuzz_props(%s);" % jsonb(item)
    if f == '_check_item':
        t = rand_table()
        return "SELECT dynamo._check_item(%s, %s, %s, %s, %s, %s);" % (
            jsonb(gen_item_for(t)), lit_or_null(opt(t[1])), lit_or_null(opt(R.choice([t[2], 'S', 'X', '']))),
            lit_or_null(opt(t[3], 0.3)), lit_or_null(opt(t[4], 0.3)), R.choice(['true', 'false', 'NULL']))
    if f == '_key_value':
        return "SELECT dynamo._key_value(%s, %s, %s);" % (
            jsonb(gen_item_attrs()), lit_or_null(gen_name() if R.random() < 0.9 else None),
            lit_or_null(R.choice(['S', 'N', 'B', 'X', '', None])))
    return "SELECT dynamo.%s(%s);" % (f, jsonb(item))


def stmt_items():
    t = rand_table()
    name = t[0] if R.random() < 0.9 else rand_name()
    f = R.choice(['put', 'put', 'put', 'putget', 'get', 'delete', 'query', 'query', 'scan', 'batch',
                  'update', 'update', 'cput', 'cdelete', 'pget', 'fquery', 'fscan', 'bget'])
    rv = R.choice(['NONE', 'ALL_OLD', None]) if R.random() < 0.9 else R.choice(['ALL_NEW', 'none', '', 'UPDATED_OLD'])
    if f == 'put':
        item = gen_item_for(t) if R.random() < 0.95 else R.choice([None, [], 'x', {}])
        return "SELECT dynamo.put_item(%s, %s, %s);" % (lit_or_null(name), jsonb(item), lit_or_null(rv))
    if f == 'update':
        upd = gen_update_expr() if R.random() < 0.95 else None
        cond = gen_cond_expr() if R.random() < 0.4 else None
        names, vals = used_only((upd or '') + ' ' + (cond or ''), gen_expr_names(), gen_expr_values())
        return "SELECT dynamo.update_item(%s, %s, %s, %s, %s, %s, %s);" % (
            lit_or_null(name), jsonb(opt(table_key(t), 0.05)), lit_or_null(upd), lit_or_null(cond),
            jsonb(names), jsonb(vals), lit_or_null(R.choice(['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW',
                                                             'UPDATED_NEW', None, 'x'])))
    if f in ('cput', 'cdelete'):
        what = jsonb(gen_item_for(t)) if f == 'cput' else jsonb(opt(table_key(t), 0.05))
        cond = gen_cond_expr()
        names, vals = used_only(cond, gen_expr_names(), gen_expr_values())
        return "SELECT dynamo.%s(%s, %s, %s, %s, %s, %s, %s);" % (
            'put_item' if f == 'cput' else 'delete_item', lit_or_null(name), what, lit_or_null(rv),
            lit_or_null(cond), jsonb(names), jsonb(vals),
            lit_or_null(R.choice(['NONE', 'ALL_OLD', None, 'ALL_NEW'])))
    if f in ('pget', 'fquery', 'fscan', 'bget'):
        return stmt_reads(f, t, name)
    if f == 'putget':
        return "SELECT fuzz_put_get(%s, %s);" % (sqlstr(t[0]), jsonb(gen_item_for(t)))
    if f == 'get':
        return "SELECT dynamo.get_item(%s, %s, %s);" % (lit_or_null(name), jsonb(opt(table_key(t), 0.05)),
                                                         R.choice(['true', 'false', 'NULL']))
    if f == 'delete':
        return "SELECT dynamo.delete_item(%s, %s, %s);" % (lit_or_null(name), jsonb(opt(table_key(t), 0.05)),
                                                            lit_or_null(rv))
    if f == 'query':
        esk = table_key(R.choice([t, rand_table()])) if R.random() < 0.3 else None
        return "SELECT dynamo.query(%s, %s, %s, %s, %s, %s, %s);" % (
            lit_or_null(name), lit_or_null(opt(gen_expr(t), 0.03)), jsonb(gen_values(t)), jsonb(gen_names(t)),
            R.choice(['true', 'false', 'NULL']), R.choice(['NULL', '1', '2', '3', '100', '2147483647', '0', '-1']),
            jsonb(esk))
    if f == 'scan':
        esk = table_key(R.choice([t, rand_table()])) if R.random() < 0.3 else None
        if R.random() < 0.05:
            esk = R.choice([[], 'x', {}, gen_item_attrs()])
        return "SELECT dynamo.scan(%s, %s, %s);" % (
            lit_or_null(name), R.choice(['NULL', '1', '3', '7', '0']), jsonb(esk))
    req = {}
    for _ in range(R.randint(0, 3)):
        tt = rand_table()
        reqs = []
        for _ in range(R.randint(0, 10)):
            if R.random() < 0.6:
                reqs.append({'PutRequest': {'Item': gen_item_for(tt)}})
            else:
                reqs.append({'DeleteRequest': {'Key': table_key(tt)}})
            if R.random() < 0.05:
                reqs[-1] = R.choice([{}, {'PutRequest': {}}, {'PutRequest': {'Item': []}},
                                     {'PutRequest': {'Item': {}}, 'DeleteRequest': {'Key': {}}},
                                     'x', None, [], {'DeleteRequest': None}])
        req[tt[0] if R.random() < 0.9 else rand_name() or ''] = reqs if R.random() < 0.95 else R.choice([{}, 'x', None])
    if R.random() < 0.05:
        req = R.choice([None, [], 'x', 1])
    return "SELECT fuzz_batch(%s);" % jsonb(req)


def gen_projection():
    if R.random() < 0.1:
        return R.choice([None, '', ',', 'a,', 'a, a', 'a.b, a[0]', 'Year', '#zz', 'a[-1]', 'size(a)'])
    return ', '.join(R.sample(EXPR_PATHS, R.randint(1, 4)))


def merged(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return {**a, **b} or None
    return a if R.random() < 0.5 else b


def stmt_reads(f, t, name):
    """Reads with projection, filter and select (issue 9 item 4)."""
    proj = gen_projection() if R.random() < 0.6 else None
    sel = R.choice([None, None, 'COUNT', 'ALL_ATTRIBUTES', 'SPECIFIC_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES', 'x'])
    limit = R.choice(['NULL', '1', '2', '3', '100', '0'])
    if f == 'pget':
        names, _ = used_only(proj or '', gen_expr_names(), None)
        return "SELECT dynamo.get_item(%s, %s, %s, %s, %s);" % (
            lit_or_null(name), jsonb(opt(table_key(t), 0.05)), R.choice(['true', 'false', 'NULL']),
            lit_or_null(proj), jsonb(names))
    filt = gen_cond_expr() if R.random() < 0.7 else None
    if f == 'fscan':
        names, vals = used_only((filt or '') + ' ' + (proj or ''), gen_expr_names(), gen_expr_values())
        return "SELECT dynamo.scan(%s, %s, NULL, %s, %s, %s, %s, %s, %s);" % (
            lit_or_null(name), limit, lit_or_null(filt), lit_or_null(proj), jsonb(names), jsonb(vals),
            lit_or_null(sel), R.choice(['true', 'false', 'NULL']))
    if f == 'fquery':
        kc = gen_expr(t)
        names, vals = used_only(kc + ' ' + (filt or '') + ' ' + (proj or ''),
                                merged(gen_names(t), gen_expr_names()), merged(gen_values(t), gen_expr_values()))
        return "SELECT dynamo.query(%s, %s, %s, %s, %s, %s, NULL, %s, %s, %s);" % (
            lit_or_null(name), lit_or_null(kc), jsonb(vals), jsonb(names), R.choice(['true', 'false']), limit,
            lit_or_null(filt), lit_or_null(proj), lit_or_null(sel))
    req = {}
    for _ in range(R.randint(0, 3)):
        tt = rand_table()
        spec = {'Keys': [table_key(tt, R.random() < 0.95) for _ in range(R.randint(0, 6))]}
        if R.random() < 0.5:
            spec['ProjectionExpression'] = gen_projection()
            spec['ExpressionAttributeNames'], _ = used_only(spec['ProjectionExpression'] or '', gen_expr_names(), None)
        if R.random() < 0.3:
            spec['ConsistentRead'] = R.choice([True, False, 'x', None])
        if R.random() < 0.05:
            spec = R.choice([{}, 'x', None, [], {'Keys': 'x'}, {'Keys': [1]}, {'AttributesToGet': ['a']}])
        req[tt[0] if R.random() < 0.9 else rand_name() or ''] = spec
    if R.random() < 0.05:
        req = R.choice([None, [], 'x', 1, {}])
    return "SELECT dynamo.batch_get_item(%s);" % jsonb(req)


def stmt_tables():
    f = R.choice(['create', 'describe', 'list', 'update', 'delete'])
    name = rand_name()
    if f == 'create':
        return "SELECT dynamo.create_table(%s, %s, %s, %s, %s, %s);" % (
            lit_or_null(name), lit_or_null(opt(gen_name())), lit_or_null(R.choice(['S', 'N', 'B', 'X', None, ''])),
            lit_or_null(R.choice([None, None, gen_name()])), lit_or_null(R.choice(['S', 'N', 'B', 'X', None])),
            lit_or_null(R.choice([None, None, 'KEYS_ONLY', 'NEW_IMAGE', 'bogus'])))
    if f == 'describe':
        return "SELECT dynamo.describe_table(%s);" % lit_or_null(name)
    if f == 'list':
        return "SELECT dynamo.list_tables(%s, %s);" % (lit_or_null(R.choice([None, name])),
                                                        R.choice(['NULL', '1', '0', '100', '101', '-1']))
    if f == 'update':
        return "SELECT dynamo.update_table(%s, %s, %s);" % (
            lit_or_null(name), R.choice(['true', 'false', 'NULL']),
            lit_or_null(R.choice([None, 'KEYS_ONLY', 'NEW_AND_OLD_IMAGES', 'x'])))
    if name in [t[0] for t in TABLES]:
        name = 'new.1'  # keep the fixed tables
    return "SELECT dynamo.delete_table(%s);" % lit_or_null(name)


def stmt_sql():
    t = rand_table()
    rel = 'dynamo.%s' % quote_ident(t[0])
    item = gen_item_for(t) if R.random() < 0.9 else R.choice([None, [], 'x', {}, 1])
    r = R.randint(0, 6)
    if r == 0:
        return "INSERT INTO %s (item) VALUES (%s);" % (rel, jsonb(item))
    if r == 1:
        pk = {'S': "'zz'", 'N': '42', 'B': "'\\x00'::bytea"}[t[2]]
        cols = 'pk, sk, item' if t[3] else 'pk, item'
        vals = pk + (', ' + {'S': "'zz'", 'N': '42', 'B': "'\\x00'::bytea"}[t[4]] if t[3] else '')
        return "INSERT INTO %s (%s) VALUES (%s, %s) ON CONFLICT DO NOTHING;" % (rel, cols, vals, jsonb(item))
    if r == 2:
        return "UPDATE %s SET item = %s WHERE ctid = (SELECT min(ctid) FROM %s);" % (rel, jsonb(item), rel)
    if r == 3:
        pk = {'S': "'zz'", 'N': '42', 'B': "'\\x00'::bytea"}[t[2]]
        return "UPDATE %s SET pk = %s WHERE ctid = (SELECT max(ctid) FROM %s);" % (rel, pk, rel)
    if r == 4:
        return "UPDATE %s SET item = item || %s WHERE ctid = (SELECT min(ctid) FROM %s);" % (
            rel, jsonb(gen_item_attrs(1)), rel)
    if r == 5:
        return "INSERT INTO %s (item) SELECT item FROM %s ON CONFLICT DO NOTHING;" % (
            rel, 'dynamo.%s' % quote_ident(rand_table()[0]))
    if R.random() < 0.5:
        return "SELECT fuzz_query_paginate(%s, %d, %s);" % (sqlstr(t[0]), R.randint(1, 3),
                                                             R.choice(['true', 'false']))
    return "SELECT fuzz_paginate(%s, %d);" % (sqlstr(t[0]), R.randint(1, 4))


def quote_ident(s):
    return '"' + s.replace('"', '""') + '"'


PREAMBLE = r"""
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS dynamo_streams CASCADE;
DROP SCHEMA IF EXISTS dynamo CASCADE;
CREATE EXTENSION dynamo_streams;
CREATE OR REPLACE FUNCTION fuzz_fail(what text, detail text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'PROPERTY FAILED: %', what USING ERRCODE = 'FZ001', DETAIL = detail;
END $$;
-- Properties of one item: idempotent normalisation, sizes agree, round trips.
CREATE OR REPLACE FUNCTION fuzz_props(j jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE v jsonb := dynamo.validate_item(j);
BEGIN
    IF dynamo.validate_item(v) <> v THEN PERFORM fuzz_fail('validate_item not idempotent', v::text); END IF;
    IF dynamo.item_size(j) <> dynamo.item_size(v) OR dynamo.item_size(v) <> dynamo._stored_item_size(v) THEN
        PERFORM fuzz_fail('sizes differ', v::text);
    END IF;
    IF v::text !~ '"(SS|NS|BS|B)": ' AND dynamo.marshall(dynamo.unmarshall(v)) <> v THEN
        PERFORM fuzz_fail('marshall(unmarshall(v)) <> v', v::text);
    END IF;
END $$;
CREATE OR REPLACE FUNCTION fuzz_key(t text, item jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(c.hash_key, item -> c.hash_key) ||
           CASE WHEN c.range_key IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object(c.range_key, item -> c.range_key) END)
      FROM dynamo._tables c WHERE c.table_name = t
$$;
-- put_item then get_item gives back the normalised item.
CREATE OR REPLACE FUNCTION fuzz_put_get(t text, j jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE got jsonb;
BEGIN
    PERFORM dynamo.put_item(t, j);
    got := dynamo.get_item(t, fuzz_key(t, dynamo.validate_item(j)));
    IF got -> 'Item' IS DISTINCT FROM dynamo.validate_item(j) THEN
        PERFORM fuzz_fail('put/get round trip', t || ': ' || j::text || ' got ' || coalesce(got::text, 'NULL'));
    END IF;
    IF dynamo.put_item(t, j, 'ALL_OLD') -> 'Attributes' IS DISTINCT FROM got -> 'Item' THEN
        PERFORM fuzz_fail('ALL_OLD differs from get_item', t);
    END IF;
END $$;
-- batch_write_item is all or nothing.
CREATE OR REPLACE FUNCTION fuzz_batch(req jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE before text; after text; res jsonb;
BEGIN
    before := fuzz_snapshot();
    BEGIN
        res := dynamo.batch_write_item(req);
    EXCEPTION WHEN OTHERS THEN
        after := fuzz_snapshot();
        IF before <> after THEN PERFORM fuzz_fail('failed batch changed data', req::text); END IF;
        RAISE;
    END;
    RETURN res;
END $$;
CREATE OR REPLACE FUNCTION fuzz_snapshot() RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; s text := ''; x text;
BEGIN
    FOR r IN SELECT relid FROM dynamo._tables WHERE kind = 'item' ORDER BY table_name LOOP
        EXECUTE format('SELECT md5(coalesce(string_agg(item::text, %L ORDER BY item::text), %L)) FROM %s', '|', '', r.relid) INTO x;
        s := s || x;
    END LOOP;
    RETURN s;
END $$;
-- Every stored row is normalised, valid for its key schema, keys match.
CREATE OR REPLACE FUNCTION fuzz_key_sql(col text, attr text, type text) RETURNS text LANGUAGE sql AS $$
    SELECT format('t.%s IS DISTINCT FROM %s', col, CASE type
        WHEN 'S' THEN format('(t.item -> %L ->> %L)', attr, type)
        WHEN 'N' THEN format('(t.item -> %L ->> %L)::numeric', attr, type)
        ELSE format('decode(t.item -> %L ->> %L, %L)', attr, type, 'base64') END)
$$;
CREATE OR REPLACE FUNCTION fuzz_check_tables() RETURNS void LANGUAGE plpgsql AS $$
DECLARE c record; bad bigint;
BEGIN
    FOR c IN SELECT * FROM dynamo._tables WHERE kind = 'item' LOOP
        EXECUTE format('SELECT count(*) FROM %s t WHERE dynamo._check_item(t.item, %L, %L, %L, %L) <> t.item
                          OR dynamo.item_size(t.item) > 409600 OR %s OR %s',
                       c.relid, c.hash_key, c.hash_key_type, c.range_key, c.range_key_type,
                       fuzz_key_sql('pk', c.hash_key, c.hash_key_type),
                       CASE WHEN c.range_key IS NULL THEN 'false'
                            ELSE fuzz_key_sql('sk', c.range_key, c.range_key_type) END) INTO bad;
        IF bad > 0 THEN PERFORM fuzz_fail('invalid stored rows in ' || c.table_name, bad::text); END IF;
    END LOOP;
END $$;
-- Paging through scan visits every item exactly once, in key order.
CREATE OR REPLACE FUNCTION fuzz_paginate(t text, lim int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE page jsonb; esk jsonb; seen jsonb[] := '{}'; want jsonb[]; n int := 0; rel regclass;
BEGIN
    SELECT relid INTO rel FROM dynamo._tables WHERE table_name = t;
    LOOP
        page := dynamo.scan(t, lim, esk);
        seen := seen || ARRAY(SELECT jsonb_array_elements(page -> 'Items'));
        esk := page -> 'LastEvaluatedKey';
        n := n + 1;
        EXIT WHEN esk IS NULL OR n > 10000;
    END LOOP;
    EXECUTE format('SELECT coalesce(array_agg(item ORDER BY pk%s), %L) FROM %s',
                   CASE WHEN (SELECT range_key FROM dynamo._tables WHERE table_name = t) IS NULL THEN '' ELSE ', sk' END,
                   '{}', rel) INTO want;
    IF seen IS DISTINCT FROM want THEN PERFORM fuzz_fail('scan pagination of ' || t, cardinality(seen) || ' vs ' || cardinality(want)); END IF;
END $$;
-- Paging through query (both directions) visits the partition's items once,
-- in key order.
CREATE OR REPLACE FUNCTION fuzz_query_paginate(t text, lim int, fwd boolean) RETURNS void LANGUAGE plpgsql AS $$
DECLARE c dynamo._tables; page jsonb; esk jsonb; seen jsonb[] := '{}'; want jsonb[]; n int := 0; hv jsonb;
BEGIN
    SELECT * INTO c FROM dynamo._tables WHERE table_name = t;
    EXECUTE format('SELECT item -> %L FROM %s ORDER BY random() LIMIT 1', c.hash_key, c.relid) INTO hv;
    IF hv IS NULL THEN RETURN; END IF;
    LOOP
        page := dynamo.query(t, '#h = :h', jsonb_build_object(':h', hv), jsonb_build_object('#h', c.hash_key),
                             fwd, lim, esk);
        seen := seen || ARRAY(SELECT jsonb_array_elements(page -> 'Items'));
        esk := page -> 'LastEvaluatedKey';
        n := n + 1;
        EXIT WHEN esk IS NULL OR n > 10000;
    END LOOP;
    EXECUTE format('SELECT coalesce(array_agg(item ORDER BY %s), %L) FROM %s WHERE item -> %L = %L',
                   CASE WHEN c.range_key IS NULL THEN 'pk' WHEN fwd THEN 'sk' ELSE 'sk DESC' END,
                   '{}', c.relid, c.hash_key, hv) INTO want;
    IF seen IS DISTINCT FROM want THEN
        PERFORM fuzz_fail('query pagination of ' || t, cardinality(seen) || ' vs ' || cardinality(want));
    END IF;
END $$;
"""


def gen(seed, count):
    R.seed(seed)
    out = [l for l in PREAMBLE.strip().split('\n')]
    # the preamble's multi-line functions are fine: psql reports line numbers
    for (name, hk, ht, rk, rt) in TABLES:
        out.append("SELECT dynamo.create_table(%s, %s, %s, %s, %s) IS NOT NULL;" % (
            sqlstr(name), sqlstr(hk), sqlstr(ht), lit_or_null(rk), lit_or_null(rt) if rk else "'S'"))
    out.append('-- fuzz statements start here')
    for i in range(count):
        r = R.random()
        if r < 0.3:
            s = stmt_av()
        elif r < 0.8:
            s = stmt_items()
        elif r < 0.88:
            s = stmt_tables()
        else:
            s = stmt_sql()
        if R.random() < 0.02:
            s = 'BEGIN; %s ROLLBACK;' % s
        out.append(s)
        if i % 200 == 199:
            out.append('SELECT fuzz_check_tables();')
    out.append('SELECT fuzz_check_tables();')
    for (name, *_rest) in TABLES:
        out.append('SELECT fuzz_paginate(%s, 3);' % sqlstr(name))
        out.append('SELECT fuzz_query_paginate(%s, 2, false);' % sqlstr(name))
    print('\n'.join(out))

# ---------------------------------------------------------------------------
# Judging a run


# An AWS error names its exception as the first word of its DETAIL
# (docs/errors.md): "ValidationException." or "ValidationException: ...".
AWS_DETAIL = re.compile(r'^[A-Z][A-Za-z]*Exception[.:]')
# SQLSTATEs that the harness itself provokes in PostgreSQL (jsonb input that
# PostgreSQL rejects before any dynamo code runs, deliberately deep jsonb)
HARNESS = {'22P02', '22P05', '54001', '2202E'}
# plain SQL statements may hit PostgreSQL's own constraints
PLAIN_OK = {'23505', '23502', '21000'}


def check(script, errfile, serverlog):
    lines = open(script, encoding='utf-8', errors='replace').read().split('\n')
    bad = []
    err = open(errfile, encoding='utf-8', errors='replace').read()
    # a message may span lines (a value with a newline); DETAIL follows it
    for m in re.finditer(r'^psql:[^\n]*?:(\d+): (ERROR|FATAL|PANIC|WARNING):  (\w{5}): '
                         r'([^\n]*(?:\n(?!DETAIL:|HINT:|CONTEXT:|LOCATION:|psql:)[^\n]*)*)'
                         r'(?:\nDETAIL:  ([^\n]*))?', err, re.M):
        lineno, level, code, msg = int(m.group(1)), m.group(2), m.group(3), m.group(4)
        detail = m.group(5) or ''
        stmt = lines[lineno - 1] if lineno - 1 < len(lines) else '?'
        why = None
        if level != 'ERROR':
            why = level
        elif code.startswith('XX') or code == 'FZ001':
            why = 'internal error or failed property'
        elif code in HARNESS:
            pass
        elif re.match(r'(BEGIN; )?(INSERT|UPDATE|DELETE|COPY)', stmt) and code in PLAIN_OK:
            pass
        elif not AWS_DETAIL.match(detail) and not msg.startswith('PROPERTY'):
            why = 'no AWS exception name'
        if why:
            bad.append('%s: line %d: %s %s: %s\n    %s' % (why, lineno, level, code, msg[:300], stmt[:500]))
    for pat in ('server closed the connection unexpectedly', 'connection to server was lost'):
        if pat in err:
            bad.append('psql: ' + pat)
    log = open(serverlog, encoding='utf-8', errors='replace').read()
    for m in re.finditer(r'^.*(terminated by signal|TRAP:|PANIC:|WARNING:|was terminated by exception).*$', log, re.M):
        bad.append('server log: ' + m.group(0)[:400])
    for b in bad[:60]:
        print(b)
    print('%d problems' % len(bad))
    return 1 if bad else 0


if __name__ == '__main__':
    if len(sys.argv) >= 2 and sys.argv[1] == 'gen':
        args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
        gen(int(args.get('--seed', '1')), int(args.get('--count', '1000')))
    elif len(sys.argv) == 5 and sys.argv[1] == 'check':
        sys.exit(check(sys.argv[2], sys.argv[3], sys.argv[4]))
    else:
        print(__doc__)
        sys.exit(2)
