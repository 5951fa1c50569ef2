// The rule-based extractor on plain Event messages: what it finds, and what it must leave alone.
import { create, type JsonObject } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type Event, EventSchema } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { RuleBasedExtractor } from "../../src/workers/index.js";

const message = (content: string, role?: string): Event =>
  create(EventSchema, {
    eventType: "message",
    data: role === undefined ? { content } : { content, role },
  });
const event = (eventType: string, data: JsonObject): Event =>
  create(EventSchema, { eventType, data });

const extractor = new RuleBasedExtractor();
const factsOf = (...events: Event[]) => extractor.extract(events).map((f) => f.fact);

describe("RuleBasedExtractor", () => {
  it.each([
    ["I prefer Python", "User prefers Python", "preferences"],
    ["i like dark mode.", "User likes dark mode", "preferences"],
    ["I really love hiking!", "User loves hiking", "preferences"],
    ["I enjoy jazz in the evening", "User enjoys jazz in the evening", "preferences"],
    ["My favorite color is blue", "User's favorite color is blue", "preferences"],
    ["my favourite fruits are mangoes", "User's favorite fruits are mangoes", "preferences"],
    ["I don't like olives", "User dislikes olives", "preferences"],
    ["I hate meetings before 9", "User dislikes meetings before 9", "preferences"],
    ["I'm a big fan of Rust", "User is a fan of Rust", "preferences"],
    ["My name is Ada Lovelace.", "User's name is Ada Lovelace", "identity"],
    ["my name's sam", "User's name is sam", "identity"],
    ["Please call me Bob", "User's name is Bob", "identity"],
    ["I'm called Mary-Jane", "User's name is Mary-Jane", "identity"],
    ["I work at Contoso", "User works at Contoso", "facts"],
    ["I currently work for the city council", "User works for the city council", "facts"],
    ["I'm working as a nurse", "User works as a nurse", "facts"],
    ["I live in Lisbon, by the way.", "User lives in Lisbon", "facts"],
    ["I'm based in Berlin", "User lives in Berlin", "facts"],
    ["I am from Brazil", "User is from Brazil", "facts"],
    ["I am a software engineer", "User is a software engineer", "facts"],
    ["I'm an architect", "User is an architect", "facts"],
    ["Hi! Well, I prefer tea", "User prefers tea", "preferences"],
  ])("%j → %j (%s)", (content, fact, topic) => {
    const [found, ...rest] = extractor.extract([message(content)]);
    expect(rest).toEqual([]);
    expect(found).toEqual({ fact, topic, confidence: expect.any(Number) });
  });

  it("is sure of explicit statements, less of 'I'm a X'", () => {
    const facts = extractor.extract([message("I prefer tea. I'm a teacher.")]);
    expect(facts.map((f) => f.confidence)).toEqual([0.9, 0.8]);
  });

  it("finds several facts in one message, in sentences and clauses", () => {
    expect(
      factsOf(
        message(
          "Hi, my name is Ada and I work at Contoso. I like tea and coffee, I live in Porto!\nI prefer vim",
        ),
      ),
    ).toEqual([
      "User's name is Ada",
      "User works at Contoso",
      "User likes tea and coffee",
      "User lives in Porto",
      "User prefers vim",
    ]);
  });

  it("reads only the user's messages: role user or no role", () => {
    expect(
      factsOf(
        message("I prefer tea", "assistant"),
        message("I like cats", "system"),
        message("I love dogs", "USER"),
        message("I enjoy chess"),
        event("tool_call", { content: "I prefer nothing" }),
        event("message", { content: 42 }),
        event("message", { text: "I prefer a field named text" }),
        event("message", { content: "I like odd roles", role: 7 }),
      ),
    ).toEqual(["User loves dogs", "User enjoys chess"]);
  });

  it("skips questions and statements of nothing", () => {
    expect(
      factsOf(
        message("Do you think I prefer tea?"),
        message("I like it. I love you. I like that."),
        message("I'm a bit tired. I'm a little lost."),
        message("Call me back tomorrow. I go by bus."),
        message("My name is not important"),
        message("I'd like a coffee"),
        message("The thing I like most is tea"),
      ),
    ).toEqual([]);
  });

  it("returns a fact stated twice once, the first time it was stated", () => {
    expect(
      extractor.extract([
        message("I prefer Python."),
        message("i prefer python"),
        message("I prefer Python!"),
      ]),
    ).toEqual([{ fact: "User prefers Python", topic: "preferences", confidence: 0.9 }]);
  });

  it("finds nothing in no events", () => {
    expect(extractor.extract([])).toEqual([]);
  });
});
