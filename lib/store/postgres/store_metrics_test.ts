import { assertEquals } from "@std/assert";
import { NoticedCommits } from "@lib/store/postgres/store_metrics.ts";

Deno.test("NoticedCommits: the lag is the oldest unapplied commit's age, 0 when caught up", () => {
  const notices = new NoticedCommits();
  notices.add(1, 1_000, 0);
  notices.add(2, 3_000, 0);
  assertEquals(notices.lagSeconds(0, 5_000), 4);
  assertEquals(notices.lagSeconds(1, 5_000), 2);
  assertEquals(notices.lagSeconds(2, 5_000), 0);
});

Deno.test("NoticedCommits: applied commits never crowd out new ones, scraped or not", () => {
  const notices = new NoticedCommits();
  // 20,000 commits, each applied before the next arrives, and nobody asks for the lag.
  for (let seq = 1; seq <= 20_000; seq++) notices.add(seq, seq, seq - 1);
  // The last one is not applied yet: its age is the lag.
  assertEquals(notices.lagSeconds(19_999, 30_000), 10);
});
