#!/usr/bin/env perl
# test/docs/run-examples.pl: run the examples of docs/functions/ and check
# that each prints exactly the output shown under it, so the docs cannot
# drift from what the extension does.
#
# The format (also described in docs/functions/README.md): an example is a
# ```sql block followed, with only blank lines between, by a ```text block
# holding what psql prints for it:
#   psql -X -A -t  (unaligned, tuples only: values one row per line,
#                   columns separated by |, no headers or row counts),
#   command tags of other statements (CREATE TABLE, INSERT 0 1, ...),
#   errors as "ERROR:  message" with their DETAIL and HINT lines
#   (\set SHOW_CONTEXT never; the "psql:<stdin>:N: " prefix is dropped).
# Every ```sql block under an "## Example" heading must have its output.
#
# All examples run in one psql session, on a fresh database (DS_DOCS_DB,
# default docs_examples, dropped and created again), page after page in the
# order in which docs/functions/README.md links the pages (README's own
# examples first).  A page that README does not link is an error.
#
# Values that differ from run to run are masked before comparing, the same
# way on both sides: shard ids, stream labels and other millisecond
# timestamps, epoch times, uuids (TableId), sequence numbers, event ids and
# LSNs.  Masks are
# numbered per page in order of appearance (<time1>, <time2>, ...), so an
# example that shows the same label twice must show it twice.
#
# DS_DOCS_UPDATE=1 rewrites the output blocks that differ (after masking)
# with the actual output and leaves the others alone; review the diff.
#
# Usage: run-examples.pl DOCS_FUNCTIONS_DIR  (PGHOST, PGPORT, PGUSER and
# PSQL from the environment).  Exit status 1 when an example differs.

use strict;
use warnings;

my $dir = shift @ARGV or die "usage: $0 docs/functions\n";
my $psql = $ENV{PSQL} || 'psql';
my $db = $ENV{DS_DOCS_DB} || 'docs_examples';
my $update = ($ENV{DS_DOCS_UPDATE} || '') eq '1';
my $marker = '@@dynamo_streams docs example@@';

sub slurp
{
	my ($path) = @_;
	open my $fh, '<:raw', $path or die "$path: $!\n";
	local $/;
	return scalar <$fh>;
}

sub shell_quote
{
	my ($s) = @_;
	$s =~ s/'/'\\''/g;
	return "'$s'";
}

# The pages in run order: README.md, then the pages README links.
sub page_order
{
	my $readme = slurp("$dir/README.md");
	my (@pages, %seen);
	push @pages, 'README.md';
	while ($readme =~ /\]\(([A-Za-z0-9_]+\.md)\)/g)
	{
		next if $seen{$1}++ || $1 eq 'README.md';
		die "docs/functions/README.md links $1, which does not exist\n"
		  unless -f "$dir/$1";
		push @pages, $1;
	}
	opendir my $dh, $dir or die "$dir: $!\n";
	for my $f (sort grep { /\.md$/ } readdir $dh)
	{
		die "docs/functions/$f is not linked from docs/functions/README.md "
		  . "(which sets the order the examples run in)\n"
		  unless $f eq 'README.md' || $seen{$f};
	}
	return @pages;
}

# The examples of a page: [sql, output, index of the output's first line,
# number of output lines, heading], with the page's lines.
sub parse_page
{
	my ($page) = @_;
	my @lines = split /\n/, slurp("$dir/$page"), -1;
	my (@blocks, $heading);
	for (my $i = 0; $i < @lines; $i++)
	{
		$heading = $1 if $lines[$i] =~ /^##\s+(.*)$/;
		next unless $lines[$i] =~ /^```(\w*)\s*$/;
		my ($lang, $start) = ($1, $i + 1);
		$i++ while $i + 1 < @lines && $lines[ $i + 1 ] !~ /^```\s*$/;
		die "$page: unterminated code block at line $start\n" if $i + 1 >= @lines;
		push @blocks, {
			lang => $lang, start => $start, end => $i + 1,
			text => join("\n", @lines[ $start .. $i ]),
			heading => $heading // '' };
		$i++;
	}
	my @examples;
	for (my $b = 0; $b < @blocks; $b++)
	{
		next unless $blocks[$b]{lang} eq 'sql';
		my $next = $blocks[ $b + 1 ];
		my $only_blank = $next
		  && !grep { /\S/ } @lines[ $blocks[$b]{end} + 1 .. $next->{start} - 2 ];
		if ($next && $next->{lang} eq 'text' && $only_blank)
		{
			push @examples, { sql => $blocks[$b]{text}, out => $next->{text},
				out_start => $next->{start}, out_end => $next->{end},
				line => $blocks[$b]{start} };
			$b++;
		}
		elsif ($blocks[$b]{heading} =~ /^Examples?\b/)
		{
			die "$page line $blocks[$b]{start}: an example without its output "
			  . "(a ```text block right after the ```sql block)\n";
		}
	}
	return (\@lines, \@examples);
}

# Mask what varies from run to run; %$seen numbers the values of a page.
sub mask
{
	my ($text, $seen) = @_;
	my @masks = (
		[ shard => qr/shardId-\d{20}-[0-9a-f]{8}/ ],
		[ time => qr/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z?/ ],
		[ uuid => qr/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/ ],
		[ eventid => qr/\b[0-9a-f]{32}\b/ ],
		[ seq => qr/\b\d{21,40}\b/ ],
		[ epoch => qr/\b1\d{9}(?:\.\d{1,6})?\b/ ],
		[ lsn => qr/\b[0-9A-F]{1,8}\/[0-9A-F]{1,8}\b/ ],
		[ slot => qr/\bdynamo_pump_\d+\b/ ],	# the pump's slot names the database OID
	);
	for my $m (@masks)
	{
		my ($name, $re) = @$m;
		$text =~ s{($re)}{
			$seen->{"$name:$1"} //= "<$name" . (++$seen->{"#$name"}) . '>'
		}ge;
	}
	return $text;
}

# Run every example in one session; return the outputs in order.
sub run_all
{
	my (@examples) = @_;
	my $admin = "$psql -X -q -v ON_ERROR_STOP=1 -d postgres";
	system("$admin -c 'SET client_min_messages = warning' -c " . shell_quote("DROP DATABASE IF EXISTS \"$db\"")
		  . " -c " . shell_quote("CREATE DATABASE \"$db\"")) == 0
	  or die "cannot create database $db\n";
	my $script = "\\set SHOW_CONTEXT never\n";
	for my $ex (@examples)
	{
		$script .= "\\echo '$marker'\n$ex->{sql}\n";
	}
	$script .= "\\echo '$marker'\n";
	my $tmp = ($ENV{TMPDIR} || '/tmp') . "/ds_docs_examples.$$";
	open my $fh, '>:raw', "$tmp.sql" or die "$tmp.sql: $!\n";
	print $fh $script;
	close $fh;
	system("$psql -X -A -t -d " . shell_quote($db) . " -f - < "
		  . shell_quote("$tmp.sql") . ' > ' . shell_quote("$tmp.out") . ' 2>&1');
	my $out = slurp("$tmp.out");
	unlink "$tmp.sql", "$tmp.out";
	$out =~ s/^psql:<stdin>:\d+: //mg;
	my @parts = split /^\Q$marker\E\n/m, $out, -1;
	shift @parts;    # before the first example: nothing
	die "psql output does not split into the examples:\n$out\n"
	  unless @parts == @examples + 1;
	pop @parts;
	s/\n\z// for @parts;
	return @parts;
}

my @pages = page_order();
my (@all, %page_lines);
for my $page (@pages)
{
	my ($lines, $examples) = parse_page($page);
	$page_lines{$page} = $lines;
	push @all, map { { %$_, page => $page } } @$examples;
}
my @outputs = run_all(@all);

my ($failed, %changed, %seen_doc, %seen_run) = (0);
for my $i (0 .. $#all)
{
	my $ex = $all[$i];
	my $page = $ex->{page};
	my $want = mask($ex->{out}, $seen_doc{$page} //= {});
	my $got = mask($outputs[$i], $seen_run{$page} //= {});
	next if $want eq $got;
	if ($update)
	{
		push @{ $changed{$page} }, [ $ex, $outputs[$i] ];
		next;
	}
	$failed++;
	print "not ok: docs/functions/$page, example at line $ex->{line}:\n$ex->{sql}\n"
	  . "--- shown (masked)\n$want\n+++ printed (masked)\n$got\n\n";
}

for my $page (sort keys %changed)
{
	my @lines = @{ $page_lines{$page} };
	# replace from the last example up, so that line numbers stay valid
	for my $c (reverse @{ $changed{$page} })
	{
		my ($ex, $out) = @$c;
		splice @lines, $ex->{out_start}, $ex->{out_end} - $ex->{out_start},
		  split(/\n/, $out, -1);
	}
	open my $fh, '>:raw', "$dir/$page" or die "$dir/$page: $!\n";
	print $fh join("\n", @lines);
	close $fh;
	print "updated docs/functions/$page (" . scalar(@{ $changed{$page} }) . " outputs)\n";
}

printf "%d examples on %d pages: %s\n", scalar(@all), scalar(@pages),
  $failed ? "$failed differ" : 'all as shown';
exit($failed ? 1 : 0);
