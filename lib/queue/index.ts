export { MAX_CHALLENGE_BODY_BYTES, PogChallengeSchema } from './challenge.js';
export {
  enqueueChallenges,
  type FanOutOptions,
  type FanOutResult,
  MAX_DELAY_SECONDS,
  QueueError,
} from './fan-out.js';
