/**
 * O(1) lookups over one county, built once: a handler resolves gridId -> community -> town and
 * category -> deadlines without walking the tree on every request.
 */
import type { DeadlineSpec, FrozenPolicy, Ladder, Level } from '#domain/incident.js';
import type { Category, Community, County, Person, Town } from './county-schema.js';
import { localName, type Locale, type LocalizedName } from './names.js';

/** The kinds of things a county file names (contract §9: a name may differ per language). */
export const NAMED_KINDS = ['county', 'city', 'town', 'community', 'grid', 'category'] as const;
export type NamedKind = (typeof NAMED_KINDS)[number];

/** Where a grid sits, flattened: what an incident records when it is reported in that grid. */
export interface GridPlace {
  gridId: string;
  gridName: LocalizedName;
  communityId: string;
  communityName: LocalizedName;
  townId: string;
  townName: LocalizedName;
  leader: Person;
}

export interface CommunityPlace {
  community: Community;
  town: Town;
}

export class CountyIndex {
  readonly county: County;
  readonly ladder: Ladder;
  /** In file order. */
  readonly gridIds: string[];
  readonly townIds: string[];
  readonly categoryIds: string[];

  private readonly grids = new Map<string, GridPlace>();
  private readonly towns = new Map<string, Town>();
  private readonly communities = new Map<string, CommunityPlace>();
  private readonly categories = new Map<string, Category>();
  private readonly gridsByTown = new Map<string, string[]>();
  private readonly names: Record<NamedKind, Map<string, LocalizedName>>;

  constructor(county: County) {
    this.county = county;
    this.ladder = Object.freeze([...county.ladder]);
    for (const town of county.towns) {
      this.towns.set(town.id, town);
      const townGrids: string[] = [];
      for (const community of town.communities) {
        this.communities.set(community.id, { community, town });
        for (const grid of community.grids) {
          townGrids.push(grid.id);
          this.grids.set(grid.id, {
            gridId: grid.id, gridName: grid.name,
            communityId: community.id, communityName: community.name,
            townId: town.id, townName: town.name,
            leader: grid.leader,
          });
        }
      }
      this.gridsByTown.set(town.id, townGrids);
    }
    for (const category of county.categories) this.categories.set(category.id, category);
    const named = (items: Iterable<{ id: string; name: LocalizedName }>) => new Map([...items].map((i) => [i.id, i.name] as const));
    this.names = {
      county: named([county]),
      city: named([county.city]),
      town: named(county.towns),
      community: named(county.towns.flatMap((t) => t.communities)),
      grid: named(county.towns.flatMap((t) => t.communities.flatMap((c) => c.grids))),
      category: named(county.categories),
    };
    this.gridIds = [...this.grids.keys()];
    this.townIds = [...this.towns.keys()];
    this.categoryIds = [...this.categories.keys()];
  }

  get id(): string { return this.county.id; }
  get cityId(): string { return this.county.city.id; }

  grid(id: string): GridPlace | undefined { return this.grids.get(id); }
  town(id: string): Town | undefined { return this.towns.get(id); }
  community(id: string): Community | undefined { return this.communities.get(id)?.community; }
  townOfCommunity(communityId: string): Town | undefined { return this.communities.get(communityId)?.town; }
  /** Grid ids of a town, in file order (empty for an unknown town). */
  gridsOfTown(townId: string): readonly string[] { return this.gridsByTown.get(townId) ?? []; }
  category(id: string): Category | undefined { return this.categories.get(id); }

  /**
   * What a person reads for the county, its city, a town, community, grid or category in `locale`
   * (`localName` of the file's name); undefined for an id this county does not know.
   */
  nameOf(kind: NamedKind, id: string, locale: Locale): string | undefined {
    const name = this.names[kind].get(id);
    return name === undefined ? undefined : localName(name, locale);
  }

  /** The deadline (contract §7), or undefined for an unknown category or a level not on this county's ladder. */
  deadlineFor(categoryId: string, level: Level): DeadlineSpec | undefined {
    if (!this.onLadder(level)) return undefined;
    return this.categories.get(categoryId)?.deadlines[level];
  }

  /** What an incident freezes when reported: later config edits do not move its deadlines. */
  policyFor(categoryId: string): FrozenPolicy | undefined {
    const category = this.categories.get(categoryId);
    if (!category) return undefined;
    const deadlines: Partial<Record<Level, DeadlineSpec>> = {};
    for (const level of this.ladder) deadlines[level] = category.deadlines[level];
    return { deadlines, verificationWindow: this.county.verificationWindow, ladder: [...this.ladder] };
  }

  onLadder(level: Level): boolean { return this.ladder.includes(level); }
  /** The level above, or undefined at the top (or off the ladder). */
  nextLevel(level: Level): Level | undefined {
    const i = this.ladder.indexOf(level);
    return i < 0 ? undefined : this.ladder[i + 1];
  }
  get topLevel(): Level { return this.ladder[this.ladder.length - 1] ?? 'grid'; }

  /** Who answers for a grid's incident at a level: its leader, its town's supervisors, the city's; none for county. */
  peopleAt(level: Level, gridId: string): readonly Person[] {
    if (level === 'city') return this.county.city.supervisors;
    if (level === 'grid') { const place = this.grids.get(gridId); return place ? [place.leader] : []; }
    if (level === 'town') {
      const place = this.grids.get(gridId);
      return place ? this.towns.get(place.townId)?.supervisors ?? [] : [];
    }
    return [];
  }
}

const built = new WeakMap<County, CountyIndex>();

/** The index of a county object, built on first use and shared afterwards. */
export function countyIndex(county: County): CountyIndex {
  let index = built.get(county);
  if (!index) { index = new CountyIndex(county); built.set(county, index); }
  return index;
}
