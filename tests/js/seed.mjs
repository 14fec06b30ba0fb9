// The JavaScript seed flow from the human-in-the-loop docs, unchanged except for
// the server address (read from INTERLOCK_URL) and the resume output being kept
// in a variable so it can be reported on the final RESULT line.
import { Client } from "@langchain/langgraph-sdk";
const client = new Client({ apiUrl: process.env.INTERLOCK_URL });

// Using the graph deployed with the name "agent"
const assistantID = "agent";

// create a thread
const thread = await client.threads.create();
const threadID = thread["thread_id"];

// Run the graph until the interrupt is hit.
const result = await client.runs.wait(
  threadID,
  assistantID,
  { input: { "some_text": "original text" } }   // (1)!
);

console.log(result['__interrupt__']); // (2)!
// > [
// >     {
// >         'value': {'text_to_revise': 'original text'},
// >         'resumable': True,
// >         'ns': ['human_node:fc722478-2f21-0578-c572-d9fc4dd07c3b'],
// >         'when': 'during'
// >     }
// > ]

// Resume the graph
const resumed = await client.runs.wait(
    threadID,
    assistantID,
    // highlight-next-line
    { command: { resume: "Edited text" }}   // (3)!
);
console.log(resumed);
// > {'some_text': 'Edited text'}

// One machine-readable line for the acceptance test.
console.log("RESULT " + JSON.stringify({ interrupt: result['__interrupt__'], resumed }));
