#!/usr/bin/perl
# A Perl workload for the malloc test: hashes of strings and arrays, built, rewritten with
# regular expressions, sorted and thrown away; prints one line per phase with a digest.
# Deterministic (its own random numbers; hash order is never printed unsorted).
#
#   perl workload.pl
use strict;
use warnings;
no warnings 'portable';    # 64-bit hexadecimal constants, on a 64-bit perl
use Digest::MD5 qw(md5_hex);

my $x = 88172645463325252;
sub rnd {
    # xorshift64, kept in 64 bits
    $x ^= ($x << 13) & 0xFFFFFFFFFFFFFFFF;
    $x ^= $x >> 7;
    $x ^= ($x << 17) & 0xFFFFFFFFFFFFFFFF;
    return $x;
}

my @words = map { join '', map { chr(97 + rnd() % 26) } 1 .. 1 + rnd() % 12 } 1 .. 20000;

my %count;
$count{$_}++ for (@words) x 5;
my %pos;
push @{ $pos{ $words[$_] } }, $_ for 0 .. $#words;
delete $pos{$_} for grep { length($_) % 3 == 0 } keys %pos;
print "hash ", scalar(keys %count), " ", scalar(keys %pos), " ",
    md5_hex(join ',', map { "$_=@{$pos{$_}}" } sort keys %pos), "\n";

my $text = join ' ', @words;
for (1 .. 5) {
    $text =~ s/([aeiou])/uc $1/ge;
    $text =~ s/([A-Z])([a-z])/$2$1/g;
    $text = lc $text;
}
my @parts = split /e/, $text;
print "strings ", length($text), " ", scalar(@parts), " ", md5_hex(join "\n", sort @parts), "\n";

my %live;
my $sum = 0;
for my $step (1 .. 300000) {
    my $r = rnd();
    my $k = ($r >> 8) % 5000;
    if ($r & 1) {
        $live{$k} = [ ($k) x ($r % 40) ];
    } elsif (exists $live{$k}) {
        $sum += $_ for @{ delete $live{$k} };
    }
}
print "churn ", scalar(keys %live), " $sum\n";

my @records =
    map { { id => $_, name => ucfirst($words[rnd() % @words]), score => rnd() % 1000 } } 1 .. 60000;
my @sorted = sort {
    $a->{score} <=> $b->{score} or $a->{name} cmp $b->{name} or $a->{id} <=> $b->{id}
} @records;
print "records ", scalar(@sorted), " ",
    md5_hex(join ';', map { "$_->{id}:$_->{name}:$_->{score}" } @sorted), "\n";
