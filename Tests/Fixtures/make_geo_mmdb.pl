#!/usr/bin/perl
# Writes a MaxMind-format database for Portcullis's tests and demo with MaxMind's own writer
# (Debian: libmaxmind-db-writer-perl), in GeoIP2-City layout (country + subdivisions) or
# GeoIP2-Country layout (country only).
#
#   make_geo_mmdb.pl [--layout city|country] [--set NETWORK=CC[-SUB]]... OUTPUT.mmdb
#
# --set adds a network or changes one of the defaults below (e.g. --set 81.2.69.142/31=FR, to
# show a replaced database answering differently). The file is written next to OUTPUT and
# renamed over it, as geoipupdate does, so a running gateway never sees half a file.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Path qw(make_path);
use Getopt::Long;
use MaxMind::DB::Writer::Tree;

my $layout = 'city';
my @sets;
GetOptions('layout=s' => \$layout, 'set=s' => \@sets) or die "usage: $0 [--layout city|country] [--set NETWORK=CC[-SUB]]... OUTPUT\n";
die "usage: $0 [--layout city|country] [--set NETWORK=CC[-SUB]]... OUTPUT\n" unless @ARGV == 1 && ($layout eq 'city' || $layout eq 'country');
my $output = $ARGV[0];

# The demo's addresses (MaxMind's own test data uses the same ones) and a few more for tests.
my @networks = (
    ['81.2.69.142/31',    'GB-ENG'],
    ['24.28.0.0/24',      'US-TX'],
    ['216.160.83.56/29',  'US-WA'],
    ['67.43.156.0/24',    'US-UT'],
    ['50.114.0.0/24',     'US-CA'],
    ['89.160.20.112/28',  'SE-AB'],
    ['2a02:8100::/32',    'DE-BE'],
    ['2001:480::/32',     'US-TX'],
);
for my $set (@sets) {
    my ($network, $location) = split /=/, $set, 2;
    die "--set wants NETWORK=CC or NETWORK=CC-SUB, got '$set'\n" unless defined $location && $location =~ /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;
    @networks = grep { $_->[0] ne $network } @networks;
    push @networks, [$network, $location];
}

my %types = (
    country      => 'map',
    subdivisions => ['array', 'map'],
    iso_code     => 'utf8_string',
    names        => 'map',
    en           => 'utf8_string',
);
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version              => 6,
    record_size             => 28,
    database_type           => $layout eq 'city' ? 'GeoIP2-City' : 'GeoIP2-Country',
    languages               => ['en'],
    description             => { en => "Portcullis test fixture ($layout layout)" },
    map_key_type_callback   => sub { $types{ $_[0] } },
    # IPv4 lookups in an IPv6 tree, and IPv4-mapped IPv6 (::ffff:a.b.c.d) find the same records.
    alias_ipv6_to_ipv4      => 1,
    remove_reserved_networks => 0,
);
for my $entry (@networks) {
    my ($network, $location) = @$entry;
    my ($country, $subdivision) = split /-/, $location, 2;
    my %record = (country => { iso_code => $country, names => { en => $country } });
    if ($layout eq 'city' && defined $subdivision) {
        $record{subdivisions} = [{ iso_code => $subdivision, names => { en => $subdivision } }];
    }
    $tree->insert_network($network, \%record);
}

make_path(dirname($output));
my $partial = "$output.partial.$$";
open my $fh, '>:raw', $partial or die "cannot write $partial: $!\n";
$tree->write_tree($fh);
close $fh or die "cannot write $partial: $!\n";
rename $partial, $output or die "cannot rename $partial to $output: $!\n";
print "wrote $output ($layout layout, " . scalar(@networks) . " networks)\n";
