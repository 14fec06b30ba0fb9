// More human-in-the-loop flows through the official JavaScript SDK. Each step
// records the run output plus the thread status and the state's `next`, since a
// static breakpoint is only visible there. The last line printed is
// `RESULT <json>` for the acceptance test to parse.
import { Client } from "@langchain/langgraph-sdk";

const client = new Client({ apiUrl: process.env.INTERLOCK_URL });

async function step(threadID, output) {
  const thread = await client.threads.get(threadID);
  const state = await client.threads.getState(threadID);
  return { output, status: thread.status, next: state.next };
}

async function approval(resume) {
  const { thread_id } = await client.threads.create();
  const first = await client.runs.wait(thread_id, "approval", { input: { topic: "cats" } });
  const interrupted = await step(thread_id, first);
  const done = await client.runs.wait(thread_id, "approval", { command: { resume } });
  return { interrupted, resumed: await step(thread_id, done) };
}

// Run-time breakpoints, then continue with a null input (no breakpoints on the second run).
async function staticRunTime() {
  const { thread_id } = await client.threads.create();
  const first = await client.runs.wait(thread_id, "static", {
    input: { trail: [] },
    interruptBefore: ["node_b"],
    interruptAfter: ["node_c"],
  });
  const stopped = await step(thread_id, first);
  const rest = await client.runs.wait(thread_id, "static", { input: null });
  return { stopped, continued: await step(thread_id, rest) };
}

// The docs' run-time options, passed again on every continuation so each run
// stops at the next breakpoint.
async function staticDocsOptions() {
  const { thread_id } = await client.threads.create();
  const options = { interruptBefore: ["node_a"], interruptAfter: ["node_b", "node_c"] };
  const steps = [];
  let output = await client.runs.wait(thread_id, "static", { input: { trail: [] }, ...options });
  steps.push(await step(thread_id, output));
  for (let i = 0; i < 2; i++) {
    output = await client.runs.wait(thread_id, "static", { input: null, ...options });
    steps.push(await step(thread_id, output));
  }
  return steps;
}

// Compile-time breakpoints (before node_b, after node_c).
async function staticCompiled() {
  const { thread_id } = await client.threads.create();
  const first = await client.runs.wait(thread_id, "static_compiled", { input: { trail: [] } });
  const stopped = await step(thread_id, first);
  const rest = await client.runs.wait(thread_id, "static_compiled", { input: null });
  return { stopped, continued: await step(thread_id, rest) };
}

const result = {
  approval_approved: await approval(true),
  approval_rejected: await approval(false),
  static_run_time: await staticRunTime(),
  static_docs_options: await staticDocsOptions(),
  static_compiled: await staticCompiled(),
};
console.log("RESULT " + JSON.stringify(result));
