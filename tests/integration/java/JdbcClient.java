// JdbcClient - one scenario run through a real JDBC driver (PgJDBC or MariaDB
// Connector/J) for tests/integration/test_sql_drivers.py: a prepared INSERT
// and a prepared SELECT executed 7 times each (PgJDBC switches to a named
// server-side statement at the 5th execution and stops describing it),
// parameters in text and binary and NULL, an error at prepare and one at
// execute, a batch, a committed and a rolled-back transaction. Prints one
// line per step so that a failing test shows where the driver stopped.
//
// Usage: java -cp <driver.jar> JdbcClient.java <jdbc url> <blob type>
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;

public class JdbcClient {
	public static void main(String[] a) throws Exception {
		String url = a[0], blob = a[1];

		try (Connection c = DriverManager.getConnection(url)) {
			try (Statement s = c.createStatement()) {
				s.execute("CREATE TABLE jt (id INT PRIMARY KEY, name VARCHAR(20), "
					+ "score DOUBLE PRECISION, data " + blob + ")");
			}
			try (PreparedStatement p = c.prepareStatement(
					"INSERT INTO jt (id, name, score, data) VALUES (?, ?, ?, ?)")) {
				for (int i = 1; i <= 7; i++) {
					p.setInt(1, i);
					if (i == 3)
						p.setNull(2, Types.VARCHAR);
					else
						p.setString(2, "n" + i);
					p.setDouble(3, i + 0.5);
					p.setBytes(4, new byte[] { (byte) i, (byte) 0xff });
					p.executeUpdate();
				}
			}
			System.out.println("inserted");
			try (PreparedStatement p = c.prepareStatement(
					"SELECT id, name, score FROM jt WHERE id <= ? ORDER BY id")) {
				for (int i = 1; i <= 7; i++) {
					int n = 0;

					p.setInt(1, i);
					try (ResultSet r = p.executeQuery()) {
						while (r.next())
							n++;
					}
					if (n != i)
						throw new IllegalStateException("rows " + n + " != " + i);
				}
			}
			System.out.println("selected");
			try (PreparedStatement p = c.prepareStatement(
					"SELECT * FROM no_such_table WHERE id = ?")) {
				p.setInt(1, 1);
				p.executeQuery().close();
				throw new IllegalStateException("no error at prepare");
			} catch (SQLException e) {
				System.out.println("prepare error " + e.getSQLState());
			}
			try (PreparedStatement p = c.prepareStatement(
					"INSERT INTO jt (id, name) VALUES (?, ?)")) {
				p.setInt(1, 1);
				p.setString(2, "dup");
				p.executeUpdate();
				throw new IllegalStateException("no error at execute");
			} catch (SQLException e) {
				System.out.println("execute error " + e.getSQLState());
			}
			try (PreparedStatement p = c.prepareStatement(
					"INSERT INTO jt (id, name) VALUES (?, ?)")) {
				for (int i = 10; i <= 12; i++) {
					p.setInt(1, i);
					p.setString(2, "b" + i);
					p.addBatch();
				}
				p.executeBatch();
			}
			System.out.println("batch");
			c.setAutoCommit(false);
			try (PreparedStatement p = c.prepareStatement(
					"UPDATE jt SET name = ? WHERE id = ?")) {
				p.setString(1, "kept");
				p.setInt(2, 10);
				p.executeUpdate();
				c.commit();
				p.setString(1, "undone");
				p.setInt(2, 11);
				p.executeUpdate();
				c.rollback();
			}
			c.setAutoCommit(true);
			try (Statement s = c.createStatement()) {
				s.execute("DROP TABLE jt");
			}
			System.out.println("done");
		}
	}
}
