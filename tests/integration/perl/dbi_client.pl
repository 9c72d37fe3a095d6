#!/usr/bin/perl
# dbi_client.pl - one scenario run through Perl DBI with a real driver
# (DBD::Pg, or DBD::MariaDB with mariadb_server_prepare=1) for
# tests/integration/test_sql_drivers.py: a prepared INSERT and a prepared
# SELECT executed 7 times each (DBD::MariaDB with MariaDB's metadata cache
# gets no column definitions after the first execution), parameters as
# text, as binary (a BLOB / bytea) and NULL, an error at prepare and one at
# execute, a batch (execute_array), a committed and a rolled-back
# transaction. Prints one line per step.
#
# Usage: dbi_client.pl <dsn> <user> <blob type>
use strict;
use warnings;
use DBI qw(:sql_types);

my ($dsn, $user, $blob) = @ARGV;
my $pg = $dsn =~ /^dbi:Pg:/;
my $dbh = DBI->connect($dsn, $user, '', { RaiseError => 1, PrintError => 0, AutoCommit => 1 })
    or die;
# a binary parameter: DBD::Pg sends a bytea in binary format when told its type
my $blob_attr = $pg ? { pg_type => eval 'DBD::Pg::PG_BYTEA()' } : SQL_BLOB;

$dbh->do("CREATE TABLE pt (id INT PRIMARY KEY, name VARCHAR(20), score DOUBLE PRECISION, data $blob)");
my $ins = $dbh->prepare('INSERT INTO pt (id, name, score, data) VALUES (?, ?, ?, ?)');
for my $i (1 .. 7) {
	$ins->bind_param(1, $i, SQL_INTEGER);
	$ins->bind_param(2, $i == 3 ? undef : "n$i");
	$ins->bind_param(3, $i + 0.5, SQL_DOUBLE);
	$ins->bind_param(4, pack('C2', $i, 255), $blob_attr);
	$ins->execute;
}
print "inserted\n";
my $sel = $dbh->prepare('SELECT id, name, score FROM pt WHERE id <= ? ORDER BY id');
for my $i (1 .. 7) {
	$sel->execute($i);
	my $rows = $sel->fetchall_arrayref;
	die "rows " . scalar(@$rows) . " != $i\n" unless @$rows == $i;
}
print "selected\n";
eval {
	my $s = $dbh->prepare('SELECT * FROM no_such_table WHERE id = ?');
	$s->execute(1);
	1;
} and die "no error at prepare\n";
print 'prepare error ', $dbh->state, "\n";
eval {
	$ins->execute(1, 'dup', 1.5, undef);
	1;
} and die "no error at execute\n";
print 'execute error ', $dbh->state, "\n";
my $b = $dbh->prepare('INSERT INTO pt (id, name) VALUES (?, ?)');
$b->execute_array({}, [10, 11, 12], ['b10', 'b11', 'b12']);
print "batch\n";
my $up = $dbh->prepare('UPDATE pt SET name = ? WHERE id = ?');
$dbh->begin_work;
$up->execute('kept', 10);
$dbh->commit;
$dbh->begin_work;
$up->execute('undone', 11);
$dbh->rollback;
$dbh->do('DROP TABLE pt');
$dbh->disconnect;
print "done\n";
