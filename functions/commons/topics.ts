/** The environment variable naming a level's SNS topic: set by the county stack and the local runtime, read by publish. */
import type { Level } from '#domain/incident.js';

export const topicEnv = (level: Level): string => `TOPIC_ARN_${level.toUpperCase()}`;
