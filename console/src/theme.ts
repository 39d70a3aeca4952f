/**
 * Ant Design tokens for phones and for contrast: 44 px touch targets, 16 px text (no zoom on focus in
 * mobile browsers), and colours dark enough for WCAG AA on white (antd's default blue and grey text are not).
 */
import type { ThemeConfig } from 'antd';

export const theme: ThemeConfig = {
  token: {
    colorPrimary: '#0958d9',
    colorLink: '#0958d9',
    colorError: '#c41d1d',
    colorSuccess: '#237804',
    colorWarning: '#ad4e00',
    colorTextSecondary: 'rgba(0, 0, 0, 0.68)',
    colorTextTertiary: 'rgba(0, 0, 0, 0.62)',
    colorTextDescription: 'rgba(0, 0, 0, 0.62)',
    colorTextPlaceholder: 'rgba(0, 0, 0, 0.55)',
    fontSize: 16,
    controlHeight: 44,
    controlHeightLG: 48,
    controlHeightSM: 36,
    borderRadius: 8,
  },
};
