import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeFrame, FrameDecoder, FramingError } from "../src/framing";

test("Content-Length counts UTF-8 bytes, not characters", () => {
  const frame = encodeFrame({ query: "café ☕" });
  const text = frame.toString("utf8");
  const body = text.slice(text.indexOf("\r\n\r\n") + 4);
  assert.equal(text.split("\r\n")[0], `Content-Length: ${Buffer.byteLength(body, "utf8")}`);
  assert.notEqual(Buffer.byteLength(body, "utf8"), body.length);
});

test("frames split at every byte boundary come back whole", () => {
  const frames = Buffer.concat([encodeFrame({ id: 1, result: "naïve" }), encodeFrame({ id: 2, result: "🦀" })]);
  for (let cut = 0; cut <= frames.length; cut++) {
    const decoder = new FrameDecoder();
    const bodies = [...decoder.push(frames.subarray(0, cut)), ...decoder.push(frames.subarray(cut))];
    assert.deepEqual(bodies.map((body) => JSON.parse(body).result), ["naïve", "🦀"], `cut at ${cut}`);
  }
});

test("other headers and a lower-case name are accepted", () => {
  const body = '{"id":3}';
  const frame = `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
  assert.deepEqual(new FrameDecoder().push(Buffer.from(frame)), [body]);
});

test("a header without Content-Length is an error", () => {
  assert.throws(() => new FrameDecoder().push(Buffer.from("Content-Type: x\r\n\r\n{}")), FramingError);
});

test("a header that never ends is an error", () => {
  assert.throws(() => new FrameDecoder().push(Buffer.alloc(20000, 65)), FramingError);
});
