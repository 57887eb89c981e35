// The attendance schema's own guarantees, written as SQL the way any writer
// could: every record's versions are kept whatever the statement writes at
// once, an update must grow a record by exactly one version, and each
// changed record is announced with the kind of its change, at commit, while
// a replica listens. The service's paths rely on these (migration 0004).
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <string>
#include <vector>

#include "common/migrate.h"
#include "support/test_env.h"

namespace iop::migrations {
std::vector<Migration> attendance_migrations();
}

namespace iop::attendance::store {
namespace {

class RecordTriggersTest : public ::testing::Test {
 protected:
  RecordTriggersTest() : db_("att_triggers"), conn_(db_.url()) {
    db::ApplyMigrations(db_.url(), "attendance", migrations::attendance_migrations());
  }

  // Records for `clients` in one statement: checked in when `checked_in`,
  // else as a form writes them (no check-in time).
  void InsertRecords(pqxx::transaction_base& tx, const std::vector<std::string>& clients, bool checked_in) {
    std::string values;
    for (const auto& c : clients) {
      values += std::string(values.empty() ? "" : ", ") + "('" + c + "')";
    }
    tx.exec("INSERT INTO attendance_records (id, org_id, session_id, client_id, group_id, site_id,"
            " program_id, local_date, session_start, session_end, time_zone, status, check_in_time,"
            " recorded_by) SELECT 'rec-' || c, 'o', 's', c, 'g', 'site', 'p', '2030-01-07', now(),"
            " now() + interval '3 hours', 'America/New_York', 2, " +
            std::string(checked_in ? "now()" : "NULL") + ", 'staff' FROM (VALUES " + values + ") v(c)");
  }
  void InsertRecords(const std::vector<std::string>& clients, bool checked_in = true) {
    pqxx::work tx(conn_);
    InsertRecords(tx, clients, checked_in);
    tx.commit();
  }

  void Exec(const std::string& sql) {
    pqxx::work tx(conn_);
    tx.exec(sql);
    tx.commit();
  }

  // "version:status:minutes" of each version of `client`'s record, oldest first.
  std::vector<std::string> Versions(const std::string& client) {
    pqxx::nontransaction tx(conn_);
    std::vector<std::string> out;
    for (const auto& row : tx.exec("SELECT v.version || ':' || v.status || ':' || v.minutes_attended"
                                   " FROM attendance_record_versions v WHERE v.record_id = 'rec-" +
                                   client + "' ORDER BY v.version")) {
      out.push_back(row[0].as<std::string>());
    }
    return out;
  }

  // The current record, as its latest version should repeat it.
  std::string Current(const std::string& client) {
    pqxx::nontransaction tx(conn_);
    return tx.exec1("SELECT version || ':' || status || ':' || minutes_attended FROM attendance_records"
                    " WHERE id = 'rec-" + client + "'")[0].as<std::string>();
  }

  testing::ScratchDatabase db_;
  pqxx::connection conn_;
};

TEST_F(RecordTriggersTest, RecordsInsertedTogetherEachGetTheirFirstVersion) {
  InsertRecords({"c1", "c2", "c3"});
  for (const char* c : {"c1", "c2", "c3"}) {
    EXPECT_EQ(Versions(c), std::vector<std::string>{"1:2:0"}) << c;
  }
  // A statement that writes nothing leaves nothing.
  Exec("UPDATE attendance_records SET version = version + 1 WHERE client_id = 'nobody'");
  pqxx::nontransaction tx(conn_);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM attendance_record_versions")[0].as<int>(), 3);
}

TEST_F(RecordTriggersTest, RecordsUpdatedTogetherEachKeepTheirNewVersion) {
  InsertRecords({"c1", "c2", "c3"});
  Exec("UPDATE attendance_records SET version = version + 1, status = 3, minutes_attended = 90"
       " WHERE client_id IN ('c1', 'c2')");
  EXPECT_EQ(Versions("c1"), (std::vector<std::string>{"1:2:0", "2:3:90"}));
  EXPECT_EQ(Versions("c2"), (std::vector<std::string>{"1:2:0", "2:3:90"}));
  EXPECT_EQ(Versions("c3"), std::vector<std::string>{"1:2:0"});
  for (const char* c : {"c1", "c2", "c3"}) EXPECT_EQ(Versions(c).back(), Current(c)) << c;
}

TEST_F(RecordTriggersTest, AnUpdateThatDoesNotGrowEveryRecordByOneVersionIsRefusedWhole) {
  InsertRecords({"c1", "c2"});
  Exec("UPDATE attendance_records SET version = 2, minutes_attended = 10 WHERE client_id = 'c2'");
  // c1 would grow by one, c2 would not grow at all: nothing of it stays.
  try {
    Exec("UPDATE attendance_records SET version = 2, minutes_attended = 45");
    FAIL() << "an update keeping c2 at version 2 was accepted";
  } catch (const pqxx::sql_error& e) {
    EXPECT_NE(std::string(e.what()).find("attendance record rec-c2 must grow by one version (2 -> 2)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(Versions("c1"), std::vector<std::string>{"1:2:0"});
  EXPECT_EQ(Versions("c2"), (std::vector<std::string>{"1:2:0", "2:2:10"}));
  EXPECT_EQ(Current("c1"), "1:2:0");
  try {
    Exec("UPDATE attendance_records SET version = 3 WHERE client_id = 'c1'");
    FAIL() << "an update skipping version 2 was accepted";
  } catch (const pqxx::sql_error& e) {
    EXPECT_NE(std::string(e.what()).find("(1 -> 3)"), std::string::npos) << e.what();
  }
}

// A session that LISTENs on the channel and shows as a listening replica
// (its application_name ends in " (listening)", as the change feed's does).
class ListeningReplica : public pqxx::notification_receiver {
 public:
  explicit ListeningReplica(pqxx::connection& conn)
      : pqxx::notification_receiver(conn, "iop_attendance_events") {}
  void operator()(const std::string& payload, int) override { heard_.push_back(payload); }

  // Everything announced so far, once nothing more arrives for 200 ms.
  std::vector<std::string> Drain() {
    while (conn().await_notification(0, 200000) > 0) {
    }
    return std::move(heard_);
  }

 private:
  std::vector<std::string> heard_;
};

std::string Announced(const std::string& record, int version, const std::string& kind) {
  return R"({"org" : "o", "session" : "s", "record" : ")" + record + R"(", "version" : )" +
         std::to_string(version) + R"(, "kind" : ")" + kind + R"("})";
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_F(RecordTriggersTest, EachChangedRecordIsAnnouncedWithTheKindOfItsChange) {
  pqxx::connection listener(db_.url() + "?application_name=replica%20(listening)");
  ListeningReplica replica(listener);
  replica.Drain();  // LISTEN is in effect from here

  InsertRecords({"in1", "in2"});
  InsertRecords({"form1", "form2", "form3"}, /*checked_in=*/false);
  EXPECT_EQ(Sorted(replica.Drain()),
            Sorted({Announced("rec-in1", 1, "checked_in"), Announced("rec-in2", 1, "checked_in"),
                    Announced("rec-form1", 1, "recorded"), Announced("rec-form2", 1, "recorded"),
                    Announced("rec-form3", 1, "recorded")}));

  // One statement, three kinds: a check-out, a late check-in, a correction.
  Exec("UPDATE attendance_records SET version = version + 1,"
       " check_out_time = CASE WHEN id = 'rec-in1' THEN now() END,"
       " check_in_time = CASE WHEN id IN ('rec-in1', 'rec-form1') THEN now() END,"
       " minutes_attended = 30"
       " WHERE id IN ('rec-in1', 'rec-form1', 'rec-form2')");
  EXPECT_EQ(Sorted(replica.Drain()),
            Sorted({Announced("rec-in1", 2, "checked_out"), Announced("rec-form1", 2, "checked_in"),
                    Announced("rec-form2", 2, "recorded")}));

  // A change that is rolled back is never announced.
  {
    pqxx::work tx(conn_);
    InsertRecords(tx, {"gone1", "gone2"}, true);
    tx.abort();
  }
  EXPECT_TRUE(replica.Drain().empty());
}

}  // namespace
}  // namespace iop::attendance::store
