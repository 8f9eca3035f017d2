#!/usr/bin/perl
# test/demo_webhook.pl PORT LOG: the demo's webhook (test/demo.sh).  A
# minimal HTTP server on 127.0.0.1:PORT that takes POSTed Lambda events
# from dynamo_streams' push delivery, writes one line per request to LOG
# ("POST /path: N records: EVENT key, ..."), and answers 200 with an empty
# partial batch response.  Core Perl only; one request per connection.
use strict;
use warnings;
use IO::Socket::INET;

my ($port, $log) = @ARGV;
my $server = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
	Listen => 16, ReuseAddr => 1) or die "listen on $port: $!";
$| = 1;
while (my $c = $server->accept)
{
	my ($line, %h) = (scalar <$c>);
	next unless defined $line;
	while (my $hl = <$c>)
	{
		last if $hl =~ /^\r?\n$/;
		$h{lc $1} = $2 if $hl =~ /^([^:]+):\s*(.*?)\r?$/;
	}
	my $body = '';
	read($c, $body, $h{'content-length'} || 0);
	my @recs = $body =~ /"eventName":"(\w+)".*?"Keys":\{"id":\{"S":"([^"]*)"/g;
	my @pairs;
	push @pairs, shift(@recs) . ' ' . shift(@recs) while @recs;
	my ($path) = $line =~ /^\w+ (\S+)/;
	if (open my $fh, '>>', $log)
	{
		printf $fh "POST %s: %d records: %s\n", $path, scalar @pairs, join(', ', @pairs);
		close $fh;
	}
	my $answer = '{"batchItemFailures":[]}';
	print $c "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
	  . length($answer) . "\r\nConnection: close\r\n\r\n$answer";
	close $c;
}
