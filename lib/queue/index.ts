export {
  assertContactable,
  CHALLENGE_QUEUE,
  decodeChallenge,
  encodeChallenge,
  MAX_CHALLENGE_BODY_BYTES,
  type PogChallenge,
  PogChallengeSchema,
} from './challenge.js';
export {
  enqueueChallenges,
  type FanOutOptions,
  type FanOutResult,
  MAX_DELAY_SECONDS,
  QueueError,
} from './fan-out.js';
